/**
 * `npm run dev [-- <wrangler dev args>]`: prepares the local environment, then runs `wrangler dev`.
 * 1. `.dev.vars` (git-ignored): each secret it lacks is generated and appended (src/cli/dev-vars.ts),
 *    and every setting in it checked (a wrong one stops here, named);
 * 2. D1 migrations applied to the local database (src/cli/migrations.ts, one line);
 * 3. demo superuser, password-grant and client-credentials applications created once;
 * 4. Swagger UI's files copied into the `[assets]` directory (scripts/docs-assets.ts);
 * 5. `wrangler dev` with the given arguments; once it answers, the demo credentials and curls
 *    (or, when they exist, how to recover lost ones), last and framed, so nothing buries them.
 * Safe to run again: every step skips what is already there.
 */
import { spawn } from 'node:child_process'
import { openLocalDatabase } from '../src/cli/database.ts'
import { demoBlock, seedDemo } from './demo.ts'
import { copyDocsAssets } from './docs-assets.ts'

const args = process.argv.slice(2)

function option(name: string): string | undefined {
  const index = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))
  if (index < 0) return undefined
  return args[index].includes('=') ? args[index].split('=')[1] : args[index + 1]
}

const port = option('port') ?? '8787'
const ip = option('ip')
const host = ip && ip !== '0.0.0.0' && ip !== '::' ? (ip.includes(':') ? `[${ip}]` : ip) : 'localhost'
const base = `http://${host}:${port}`

let database: Awaited<ReturnType<typeof openLocalDatabase>>
try {
  database = await openLocalDatabase(option('env'))
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
}
if (database.generated.length > 0) console.log(`${database.devVars}: generated ${database.generated.join(', ')}`)
if (database.migrated.length > 0) console.log(`Local database: applied ${database.migrated.length} migration(s)`)
const demo = await seedDemo(database.db)
await database.close()
copyDocsAssets()
console.log(`Starting wrangler dev on ${base} …`)

// --test-scheduled: the cron cleanup runs on GET /__scheduled (and wrangler's six-line warning
// that crons do not fire locally goes).
const wranglerArgs = ['dev', ...(args.includes('--test-scheduled') ? [] : ['--test-scheduled']), ...args]
const dev = spawn('wrangler', wranglerArgs, {
  stdio: 'inherit',
  env: { WRANGLER_SEND_METRICS: 'false', ...process.env },
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => dev.kill(signal))
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))

/** Polls /healthz until the Worker answers, then prints the demo block (wrangler's start-up lines come first). */
async function announceWhenReady(): Promise<void> {
  const health = `${base}/healthz`
  while (dev.exitCode === null) {
    const ready = await fetch(health).then(
      (response) => response.ok,
      () => false,
    )
    if (ready) {
      console.log(`\n${demoBlock(demo, base)}`)
      return
    }
    await new Promise((done) => setTimeout(done, 200))
  }
}

await announceWhenReady()
