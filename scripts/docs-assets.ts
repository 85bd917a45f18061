/**
 * @module
 * Fills `assets/` (wrangler.toml `[assets] directory`, git-ignored) with the Swagger UI files /docs loads,
 * copied from the pinned swagger-ui-dist package, so the page needs no third-party origin and the
 * 1.7 MB bundle stays out of the Worker script (static assets do not count toward its size).
 * Runs after `npm install` (postinstall, so a bare `wrangler dev` or `wrangler deploy` finds the
 * directory) and again before everything that reads it: `npm run dev`, `npm run bundle` (so
 * `npm test` and the benchmark), vitest's config, the browser test and `npm run deploy`; wrangler
 * refuses a missing `[assets]` directory. `node scripts/docs-assets.ts` runs it alone. Copying is
 * cheap and idempotent: unchanged files are not rewritten.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve, sep } from 'node:path'
import { unstable_readConfig } from 'wrangler'

const ROOT = resolve(import.meta.dirname, '..')

/** wrangler.toml's `[assets] directory`. Everything in it is public: only /docs files go here. */
export function assetsDirectory(): string {
  const directory = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') }).assets?.directory
  if (!directory) throw new Error('wrangler.toml has no [assets] directory')
  return resolve(ROOT, directory)
}

/** Where the files are served from; src/docs/swagger-ui.ts links to them there. */
const SWAGGER_UI_PATH = join('docs', 'swagger-ui')

/** The files the page loads, and the licence texts the bundle's banner points to (Apache-2.0). */
const SWAGGER_UI_FILES = [
  'swagger-ui-bundle.js',
  'swagger-ui.css',
  'swagger-ui-bundle.js.LICENSE.txt',
  'LICENSE',
  'NOTICE',
] as const

/**
 * Headers the asset server adds (Workers Static Assets `_headers`; the file itself is not served).
 * The files are the pinned version's and change only with it, so browsers revalidate by ETag
 * (`no-cache`) rather than keeping a stale copy for a fixed time.
 */
const HEADERS = `/docs/swagger-ui/*
  X-Content-Type-Options: nosniff
  Cross-Origin-Resource-Policy: same-origin
  Cache-Control: public, no-cache
`

function swaggerUiDistDirectory(): string {
  const require = createRequire(import.meta.url)
  return dirname(require.resolve('swagger-ui-dist/package.json'))
}

/** The installed swagger-ui-dist version (package.json pins it exactly). */
function swaggerUiVersion(): string {
  return JSON.parse(readFileSync(join(swaggerUiDistDirectory(), 'package.json'), 'utf8')).version
}

/** Writes `content` unless the file already holds it (a running `wrangler dev` reloads on changes). */
function writeIfChanged(path: string, content: Buffer | string): void {
  if (existsSync(path) && readFileSync(path).equals(Buffer.from(content))) return
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
}

/** Fills the asset directory; returns its path. */
export function copyDocsAssets(): string {
  const directory = assetsDirectory()
  const source = swaggerUiDistDirectory()
  const wanted = new Map<string, Buffer | string>([[join(directory, '_headers'), HEADERS]])
  for (const file of SWAGGER_UI_FILES) {
    wanted.set(join(directory, SWAGGER_UI_PATH, file), readFileSync(join(source, file)))
  }
  for (const [path, content] of wanted) writeIfChanged(path, content)
  // Everything in the directory is published. A file this script no longer wants (its own folder)
  // goes; anything else is someone else's and stops the build rather than being deleted.
  const others: string[] = []
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isDirectory() || wanted.has(path)) continue
    if (path.startsWith(join(directory, SWAGGER_UI_PATH, sep))) rmSync(path)
    else others.push(path)
  }
  if (others.length > 0) {
    throw new Error(
      `${directory} is published as static assets and holds files of no use to /docs: ${others.join(', ')}`,
    )
  }
  return directory
}

if (import.meta.main) {
  const directory = copyDocsAssets()
  console.log(`${directory}: Swagger UI ${swaggerUiVersion()} for /docs`)
}
