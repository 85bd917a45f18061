/** Vite's `?raw` imports (a file's text), as the tests use them (e.g. wrangler.toml's cron schedule). */
declare module '*?raw' {
  const text: string
  export default text
}
