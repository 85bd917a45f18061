/**
 * @module
 * The D1 database the CLI works on: the local one that `wrangler dev` uses
 * (.wrangler/state/v3), or with `--remote` the deployed one, through wrangler's platform proxy.
 * A local database that lacks migrations (a fresh clone, before `npm run dev` ever ran) gets
 * them applied first; a deployed one is never migrated behind your back: the command says what
 * to run. The local database is shared with a running `wrangler dev`: busy writes are retried.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { getPlatformProxy } from 'wrangler'
import { type Db, getDb } from '../db/client.ts'
import { retryingWhenBusy } from './busy-retry.ts'

export type Database = { db: Db; env: Env; close: () => Promise<void> }

const CONFIG = 'wrangler.toml'
const REMOTE_CONFIG = 'wrangler.manage-remote.toml'
const MIGRATIONS_DIR = 'migrations'

export async function openDatabase(options: { remote: boolean }): Promise<Database> {
  let database = await connect(options.remote)
  const missing = await missingMigrations(database.env.DB)
  if (missing.length > 0) {
    await database.close()
    const apply = `npx wrangler d1 migrations apply DB ${options.remote ? '--remote' : '--local'}`
    if (options.remote) {
      throw new Error(
        `The deployed database lacks ${missing.length} migration(s) (${missing.join(', ')}): run \`${apply}\` first.`,
      )
    }
    console.error(`The local database lacks ${missing.length} migration(s): applying them (${apply}).`)
    const result = spawnSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (result.status !== 0) throw new Error(`Applying the local migrations failed: run \`${apply}\` and try again.`)
    database = await connect(false)
  }
  return database
}

async function connect(remote: boolean): Promise<Database> {
  let configPath = CONFIG
  if (remote) {
    // Mark the bindings remote in a throwaway copy, so the same code talks to the deployed D1 and KV.
    const config = readFileSync(CONFIG, 'utf8').replace(/^binding = "(DB|TOKEN_CACHE)"$/gm, '$&\nremote = true')
    writeFileSync(REMOTE_CONFIG, config)
    configPath = REMOTE_CONFIG
  }
  try {
    const proxy = await getPlatformProxy<Env>({ configPath, remoteBindings: remote })
    const env = { ...proxy.env, DB: retryingWhenBusy(proxy.env.DB) }
    return { db: getDb(env.DB), env, close: proxy.dispose }
  } finally {
    if (remote) rmSync(REMOTE_CONFIG, { force: true })
  }
}

/** The migration files not yet recorded in wrangler's `d1_migrations` table (all of them in a new database). */
async function missingMigrations(db: D1Database): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((name) => name.endsWith('.sql'))
    .sort()
  const applied = await db
    .prepare('SELECT name FROM d1_migrations')
    .all<{ name: string }>()
    .then((result) => new Set(result.results.map((row) => row.name)))
    .catch((error: Error) => {
      if (/no such table/i.test(error.message)) return new Set<string>()
      throw error
    })
  return files.filter((name) => !applied.has(name))
}
