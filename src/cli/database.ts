/**
 * @module
 * The D1 database the CLI works on: the local one that `wrangler dev` uses
 * (.wrangler/state/v3), or with `--remote` the deployed one, through wrangler's platform proxy.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { getPlatformProxy } from 'wrangler'
import { type Db, getDb } from '../db/client.ts'

export type Database = { db: Db; env: Env; close: () => Promise<void> }

const CONFIG = 'wrangler.toml'
const REMOTE_CONFIG = 'wrangler.manage-remote.toml'

export async function openDatabase(options: { remote: boolean }): Promise<Database> {
  let configPath = CONFIG
  if (options.remote) {
    // Mark the bindings remote in a throwaway copy, so the same code talks to the deployed D1 and KV.
    const config = readFileSync(CONFIG, 'utf8').replace(/^binding = "(DB|TOKEN_CACHE)"$/gm, '$&\nremote = true')
    writeFileSync(REMOTE_CONFIG, config)
    configPath = REMOTE_CONFIG
  }
  try {
    const proxy = await getPlatformProxy<Env>({ configPath, remoteBindings: options.remote })
    return { db: getDb(proxy.env.DB), env: proxy.env, close: proxy.dispose }
  } finally {
    if (options.remote) rmSync(REMOTE_CONFIG, { force: true })
  }
}
