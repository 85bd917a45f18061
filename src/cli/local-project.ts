/**
 * @module
 * What `wrangler dev` would run with, read the way wrangler reads it, without loading wrangler
 * (a second of start-up): the settings (wrangler.toml `[vars]`, then `.dev.vars`, or
 * `.dev.vars.<env>` for a wrangler environment) and where Miniflare keeps the local D1 database
 * and KV namespace under `.wrangler/state/v3`. Miniflare names a binding's SQLite file after the
 * Durable Object id that workerd derives from the binding's id (`idFromName`), so it is derived
 * here the same way.
 */
import { createHash, createHmac } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { parse } from 'smol-toml'

export const CONFIG_FILE = 'wrangler.toml'
const D1_BINDING = 'DB'
const KV_BINDING = 'TOKEN_CACHE'

export type LocalProject = {
  /** The Worker's settings as `wrangler dev` hands them to it (vars, then the dev vars file). */
  env: Record<string, string>
  /** Where the settings came from, for messages: `.dev.vars`, and `wrangler.toml [vars]` if it has any. */
  source: string
  d1File: string
  kvFile: string
  kvBlobs: string
  migrationsDir: string
  /** The token shards' databases (D1 bindings named TOKEN_SHARD_…, src/tokens/shards.ts). */
  shards: { binding: string; d1File: string; migrationsDir: string }[]
}

type Binding = {
  binding?: string
  id?: string
  database_id?: string
  preview_database_id?: string
  migrations_dir?: string
}
type Section = { vars?: Record<string, unknown>; d1_databases?: Binding[]; kv_namespaces?: Binding[] }

/** workerd's Durable Object id for `name` in the namespace `uniqueKey` (ActorIdFactoryImpl::idFromName). */
function durableObjectIdFromName(uniqueKey: string, name: string): string {
  const key = createHash('sha256').update(uniqueKey).digest()
  const base = createHmac('sha256', key).update(name).digest().subarray(0, 16)
  const mac = createHmac('sha256', key).update(base).digest().subarray(0, 16)
  return Buffer.concat([base, mac]).toString('hex')
}

/** A `[vars]` value as the Worker sees it: strings as they are, anything else (SCOPES' table) as JSON. */
function varValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** wrangler's choice: `.dev.vars.<env>` when it exists, else `.dev.vars` (null: neither exists). */
function devVarsFile(directory: string, environment: string | undefined): string | null {
  const candidates = environment ? [`.dev.vars.${environment}`, '.dev.vars'] : ['.dev.vars']
  return candidates.map((name) => join(directory, name)).find((file) => existsSync(file)) ?? null
}

/** The dev vars file wrangler dev reads in the current directory (`.dev.vars` when none exists yet). */
export function devVarsPath(environment?: string): string {
  return devVarsFile(resolve('.'), environment) ?? resolve('.dev.vars')
}

export function readLocalProject(options: { configPath?: string; environment?: string } = {}): LocalProject {
  const configPath = resolve(options.configPath ?? CONFIG_FILE)
  const directory = dirname(configPath)
  const config = parse(readFileSync(configPath, 'utf8')) as Section & { env?: Record<string, Section> }
  const section = options.environment ? config.env?.[options.environment] : undefined
  if (options.environment && !section) {
    throw new Error(`${CONFIG_FILE} has no [env.${options.environment}] section.`)
  }
  // As in wrangler: an environment inherits neither vars nor bindings; it names its own.
  const chosen = section ?? config
  const vars = chosen.vars ?? {}
  const d1 = (chosen.d1_databases ?? []).find((entry) => entry.binding === D1_BINDING)
  const kv = (chosen.kv_namespaces ?? []).find((entry) => entry.binding === KV_BINDING)
  const where = options.environment ? `[env.${options.environment}] of ${CONFIG_FILE}` : CONFIG_FILE
  if (!d1) throw new Error(`${where} has no D1 binding named ${D1_BINDING}.`)

  const file = devVarsFile(directory, options.environment)
  const env = Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, varValue(value)]))
  if (file) Object.assign(env, parseEnv(readFileSync(file, 'utf8')))

  const state = join(directory, '.wrangler', 'state', 'v3')
  const d1File = (binding: Binding) =>
    join(
      state,
      'd1',
      'miniflare-D1DatabaseObject',
      `${durableObjectIdFromName('miniflare-D1DatabaseObject', binding.preview_database_id ?? binding.database_id ?? binding.binding ?? '')}.sqlite`,
    )
  const kvId = kv?.id ?? KV_BINDING
  return {
    env,
    source:
      [...(Object.keys(vars).length > 0 ? [`${CONFIG_FILE} [vars]`] : []), ...(file ? [basename(file)] : [])].join(
        ' or ',
      ) || CONFIG_FILE,
    d1File: d1File(d1),
    kvFile: join(
      state,
      'kv',
      'miniflare-KVNamespaceObject',
      `${durableObjectIdFromName('miniflare-KVNamespaceObject', kvId)}.sqlite`,
    ),
    kvBlobs: join(state, 'kv', kvId, 'blobs'),
    migrationsDir: join(directory, d1.migrations_dir ?? 'migrations'),
    shards: (chosen.d1_databases ?? [])
      .filter((entry) => entry.binding?.startsWith('TOKEN_SHARD_'))
      .map((entry) => ({
        binding: entry.binding as string,
        d1File: d1File(entry),
        migrationsDir: join(directory, entry.migrations_dir ?? 'migrations'),
      })),
  }
}
