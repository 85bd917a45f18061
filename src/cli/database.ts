/**
 * @module
 * The D1 database the CLI works on, with the settings the Worker would run with.
 * - Local (the default): the SQLite file `wrangler dev` uses (.wrangler/state/v3), opened directly
 *   (./sqlite-d1.ts), its KV cache entries deleted directly (./local-kv.ts), and the settings of
 *   wrangler.toml `[vars]` and `.dev.vars` (./local-project.ts); no workerd and no wrangler to load,
 *   so a command costs its own work. A local database that lacks migrations (a fresh clone) gets
 *   them first, and a missing `.dev.vars` its secrets, as `npm run dev` would.
 * - `--remote`: the deployed D1 and KV through wrangler's platform proxy. A deployed database is
 *   never migrated behind your back: the command says what to run.
 * Either way a wrong setting stops the command with a message that names it (src/config.ts).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { parse, stringify } from 'smol-toml'
import { checkSettings } from '../config.ts'
import { type Db, getDb } from '../db/client.ts'
import { retryingWhenBusy } from './busy-retry.ts'
import { ensureDevVars } from './dev-vars.ts'
import { openLocalKv } from './local-kv.ts'
import { CONFIG_FILE, devVarsPath, readLocalProject } from './local-project.ts'
import { applyMigrations, pendingMigrations } from './migrations.ts'
import { openSqliteD1 } from './sqlite-d1.ts'

export type Database = { db: Db; env: Env; close: () => Promise<void> }

type Options = { remote: boolean; environment?: string }

export async function openDatabase(options: Options): Promise<Database> {
  return options.remote ? openRemote(options.environment) : openLocal(options.environment)
}

/** What opening the local database did first: the secrets it generated (into `devVars`), the migrations it applied. */
type Prepared = { devVars: string; generated: string[]; migrated: string[] }

/**
 * The local database, with `.dev.vars` completed and every migration applied.
 * @internal Exported for `npm run dev` (scripts/dev.ts), which seeds the demo data through it.
 */
export async function openLocalDatabase(environment?: string): Promise<Database & Prepared> {
  const devVars = devVarsPath(environment)
  const generated = await ensureDevVars(devVars)
  const project = readLocalProject({ environment })
  checkSettings(project.env, project.source)
  mkdirSync(dirname(project.d1File), { recursive: true })
  const sqlite = openSqliteD1(project.d1File)
  const local = openLocalKv(project.kvFile, project.kvBlobs)
  // The token shards (src/tokens/shards.ts): each its own local SQLite file, as wrangler dev keeps them.
  const shards = project.shards.map((shard) => ({ ...shard, sqlite: openSqliteD1(shard.d1File) }))
  const close = async () => {
    sqlite.close()
    for (const shard of shards) shard.sqlite.close()
    local.close()
  }
  try {
    const migrated = await applyMigrations(sqlite.d1, project.migrationsDir)
    for (const shard of shards) {
      const applied = await applyMigrations(shard.sqlite.d1, shard.migrationsDir)
      migrated.push(...applied.map((name) => `${shard.binding}: ${name}`))
    }
    const env = {
      ...project.env,
      DB: sqlite.d1,
      TOKEN_CACHE: local.kv,
      ...Object.fromEntries(shards.map((shard) => [shard.binding, shard.sqlite.d1])),
    } as unknown as Env
    return { db: getDb(sqlite.d1), env, close, devVars: basename(devVars), generated, migrated }
  } catch (error) {
    await close()
    throw error
  }
}

async function openLocal(environment: string | undefined): Promise<Database> {
  const { devVars, generated, migrated, ...database } = await openLocalDatabase(environment)
  if (generated.length > 0) console.error(`${devVars}: generated ${generated.join(', ')}.`)
  if (migrated.length > 0) console.error(`Local database: applied ${migrated.length} migration(s).`)
  return database
}

const REMOTE_CONFIG = 'wrangler.manage-remote.toml'

type Bindings = { d1_databases?: { remote?: boolean }[]; kv_namespaces?: { remote?: boolean }[] }

/** wrangler.toml with its D1 and KV bindings (every environment's) marked remote: the deployed ones. */
function remoteBindings(config: Bindings & { env?: Record<string, Bindings> }): object {
  for (const section of [config, ...Object.values(config.env ?? {})]) {
    for (const binding of [...(section.d1_databases ?? []), ...(section.kv_namespaces ?? [])]) binding.remote = true
  }
  return config
}

async function openRemote(environment: string | undefined): Promise<Database> {
  writeFileSync(REMOTE_CONFIG, stringify(remoteBindings(parse(readFileSync(CONFIG_FILE, 'utf8')))))
  let database: Database
  try {
    // A throwaway copy that marks the bindings remote, so the same code talks to the deployed D1
    // and KV. wrangler is loaded only here: it takes a second to import, and only --remote needs it.
    const { getPlatformProxy } = await import('wrangler')
    const proxy = await getPlatformProxy<Env>({ configPath: REMOTE_CONFIG, environment, remoteBindings: true })
    const bindings = proxy.env as unknown as Record<string, D1Database>
    const project = readLocalProject({ environment })
    const shards = Object.fromEntries(
      project.shards.map(({ binding }) => [binding, retryingWhenBusy(bindings[binding])]),
    )
    const env = { ...proxy.env, DB: retryingWhenBusy(proxy.env.DB), ...shards }
    database = { db: getDb(env.DB), env, close: proxy.dispose }
  } finally {
    rmSync(REMOTE_CONFIG, { force: true })
  }
  const project = readLocalProject({ environment })
  const bound = database.env as unknown as Record<string, D1Database>
  const flags = environment ? `--remote --env ${environment}` : '--remote'
  for (const { binding, migrationsDir } of [
    { binding: 'DB', migrationsDir: project.migrationsDir },
    ...project.shards,
  ]) {
    const missing = await pendingMigrations(bound[binding], migrationsDir).catch(async (error: unknown) => {
      await database.close()
      throw error
    })
    if (missing.length > 0) {
      await database.close()
      throw new Error(
        `The deployed database ${binding} lacks ${missing.length} migration(s) (${missing.join(', ')}): run \`npx wrangler d1 migrations apply ${binding} ${flags}\` first.`,
      )
    }
  }
  return database
}
