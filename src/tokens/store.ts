/**
 * @module
 * The token store: what every module of src/tokens/ works with — the main database's primary and
 * a read session of it, the token databases (./shards.ts: a token's own shard, a new grant's, all
 * of them), the token format and the cache tiers of ./cache.ts — and the cache key of an access
 * token, which every revocation forgets after D1 changed. The token tables are queried only in
 * src/tokens/, by what the caller wants done:
 * - ./issue.ts: issuing tokens, alone or with a one-time redemption, in one D1 batch;
 * - ./access-tokens.ts: looking an access token up (memory → KV → D1);
 * - ./consumable.ts: how one-time credentials are found and spent — refresh tokens
 *   (./refresh-tokens.ts, with their rotation families), authorization codes
 *   (./authorization-codes.ts) and device codes (./device-codes.ts);
 * - ./revocation.ts: revoking tokens one by one, per application, owner or user (in every shard
 *   at once, ./fan-out.ts, behind the fences of ./fences.ts);
 * - ./lists.ts: what a user or an operator sees of them (never a token or its digest).
 */
import type { TokenFormat } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { type CacheTiers, forgetCached } from './cache.ts'
import { mainOnly, type TokenShards } from './shards.ts'

const ACCESS_KEY_PREFIX = 'at:'

/** The token cache's key for an access token's digest (the benchmark reads it directly too). */
export function accessTokenCacheKey(digest: string): string {
  return ACCESS_KEY_PREFIX + digest
}

export type TokenStore = CacheTiers & {
  /** The main database's primary (users, applications): its writes, and reads that must see the latest state. */
  db: Db
  /** A read session of the main database that D1 may serve from a replica (opened on first use). */
  read: () => Db
  /** The token databases: shard 0 (the main database) and the token shards. */
  shards: TokenShards
  /** Mints tokens and refuses forged ones before any I/O (keyed by SECRET_KEY). */
  format: TokenFormat
}

const NO_MEMORY_TIERS = { memorySeconds: 0, memoryEntries: 0, negativeSeconds: 0 }

/**
 * A store outside a request (the CLI, tests): reads go to the primary; KV is the only cache tier;
 * the main database is the only token database unless `shards` says otherwise.
 */
export function standaloneTokenStore(
  db: Db,
  kv: KVNamespace,
  format: TokenFormat,
  waitUntil: (promise: Promise<unknown>) => void = (promise) => void promise,
  shards: TokenShards = mainOnly(db),
): TokenStore {
  return { db, read: () => db, shards, kv, format, waitUntil, cache: NO_MEMORY_TIERS }
}

// Revocation is D1 first, then the cache tiers: the revoking location sees it at once, other
// locations within KV's propagation delay (up to ~60 s) plus TOKEN_MEMORY_CACHE_SECONDS.
/** Forgets the access tokens of these digests in every cache tier (after D1 no longer holds them). */
export async function forgetAccessTokens(store: TokenStore, digests: string[]): Promise<void> {
  await Promise.all(digests.map((digest) => forgetCached(store, accessTokenCacheKey(digest))))
}
