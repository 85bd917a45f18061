/**
 * What every browser test (`npm run test:e2e`) starts the same way: `wrangler dev` on 127.0.0.1
 * over a throwaway local state (a fresh SECRET_KEY each run), and Debian's chromium with the flags
 * that keep it off the closed network (no background networking, updates or sync).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { getPlatformProxy, unstable_readConfig } from 'wrangler'
import { randomString } from '../../src/crypto/random.ts'
import { type Db, getDb } from '../../src/db/client.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`e2e check failed: ${message}`)
}

/**
 * Readies the local state in `state` (a throwaway directory) for `startWorker`: every migration
 * applied to its D1 databases (the main one and each token shard), then `seed` run against it (users, applications) before wrangler dev opens it.
 */
export async function seedState<T>(state: string, seed: (db: Db, env: Env) => Promise<T>): Promise<T> {
  // DB and every token shard (TOKEN_SHARD_…, each with its own migrations_dir).
  const bindings = (unstable_readConfig({ config: 'wrangler.toml' }).d1_databases as { binding: string }[])
    .map((database) => database.binding)
    .filter((binding) => binding === 'DB' || binding.startsWith('TOKEN_SHARD_'))
  for (const binding of bindings) {
    const args = ['wrangler', 'd1', 'migrations', 'apply', binding, '--local', '--persist-to', state]
    const migrate = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, CI: '1' } })
    check(migrate.status === 0, `migrations applied to ${binding}`)
  }
  const proxy = await getPlatformProxy<Env>({ configPath: 'wrangler.toml', persist: { path: join(state, 'v3') } })
  try {
    return await seed(getDb(proxy.env.DB), proxy.env)
  } finally {
    await proxy.dispose()
  }
}

/**
 * wrangler dev's flags that keep the developer's `.dev.vars` out of a test run: an `--env-file`
 * takes its place (empty; a test's own settings come as `--var`), so no local setting changes a test.
 */
export function withoutDevVars(state: string): string[] {
  const file = join(state, 'no-dev-vars.env')
  writeFileSync(file, '')
  return ['--env-file', file]
}

/**
 * `wrangler dev` on `port` over the local state in `state` (plus `vars`; SECRET_KEY among them
 * when the seed minted tokens with it), once it answers /healthz.
 */
export async function startWorker(
  port: number,
  state: string,
  vars: Record<string, string> = {},
): Promise<ChildProcess> {
  const server = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      ...withoutDevVars(state),
      ...Object.entries({ SECRET_KEY: randomString(50), ...vars }).flatMap(([name, value]) => [
        '--var',
        `${name}:${value}`,
      ]),
      '--show-interactive-dev-session=false',
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      detached: true,
    },
  )
  for (let attempt = 0; attempt < 120; attempt++) {
    if (server.exitCode !== null) throw new Error('wrangler dev exited early')
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return server
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('wrangler dev did not start')
}

/** Ends a server started in its own process group (`detached`): that group only, and waits for it. */
export async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (server?.pid === undefined || server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  process.kill(-server.pid, 'SIGTERM')
  await exited
}
