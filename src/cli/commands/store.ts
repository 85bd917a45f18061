/**
 * @module
 * The token store of a CLI command: D1 and KV through wrangler's proxy, its background cache
 * writes awaited before the process ends (a Worker would hand them to waitUntil).
 */
import { keyedTokenFormat } from '../../crypto/token-format.ts'
import type { Db } from '../../db/client.ts'
import { standaloneShards } from '../../tokens/shards.ts'
import { standaloneTokenStore, type TokenStore } from '../../tokens/store.ts'

/**
 * Runs `change` with the CLI's token store (the main database and every token shard bound in
 * wrangler.toml), waiting for its cache writes before returning.
 */
export async function withStore<T>(db: Db, env: Env, change: (store: TokenStore) => Promise<T>): Promise<T> {
  const pending: Promise<unknown>[] = []
  // API keys carry no MAC: SECRET_KEY matters only if the store minted OAuth tokens.
  const format = keyedTokenFormat(env.SECRET_KEY)
  const result = await change(
    standaloneTokenStore(db, env.TOKEN_CACHE, format, (promise) => void pending.push(promise), standaloneShards(env)),
  )
  await Promise.all(pending)
  return result
}
