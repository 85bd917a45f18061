/**
 * @module
 * API keys: DRF's `Token` keys (`rest_framework.authtoken`), one per user, unscoped, without
 * expiry. Called API keys everywhere in code (table `api_keys`); clients still use DRF's public
 * names: the `Authorization: Token <key>` scheme (src/auth/authenticate.ts), `POST
 * /api-token-auth/` (src/accounts/api-keys.ts) and `manage drf_create_token`. D1 holds digests
 * only; lookups go through the same cache tiers (./cache.ts) as access tokens.
 */
import { eq, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { isWellFormedApiKey, mintApiKey } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { apiKeys, users } from '../db/schema.ts'
import type { AuthContext } from './auth-context.ts'
import { cachedLookup, forgetCached } from './cache.ts'
import type { TokenStore } from './store.ts'

const API_KEY_PREFIX = 'ak:'

/** What an API key proves: a caller, a known key of an inactive user, or nothing. */
export type ApiKeyLookup = { status: 'valid'; context: AuthContext } | { status: 'inactive' } | { status: 'unknown' }

/** Looks an API key up through the same cache tiers as access tokens. */
export async function lookupApiKey(store: TokenStore, key: string): Promise<ApiKeyLookup> {
  if (!isWellFormedApiKey(key)) return { status: 'unknown' }
  const digest = await sha256Hex(key)
  let inactive = false
  const load = async (): Promise<AuthContext | null> => {
    // As for access tokens: a key a replica does not know yet is asked of the primary.
    const row = (await apiKeyQuery(store.read(), digest).get()) ?? (await apiKeyQuery(store.db, digest).get())
    if (!row) return null
    // Not cached as valid, so reactivating the user takes effect at once.
    inactive = !row.isActive
    if (inactive) return null
    return {
      // DRF's scheme name, as the client sent it (`Authorization: Token <key>`).
      scheme: 'token',
      userId: row.userId,
      username: row.username,
      clientId: null,
      applicationId: null,
      scopes: [],
      expiresAt: null,
    }
  }
  const confirm = async () => (await apiKeyQuery(store.db, digest).get())?.isActive === true
  const context = await cachedLookup(store, API_KEY_PREFIX + digest, load, confirm)
  if (context) return { status: 'valid', context }
  return { status: inactive ? 'inactive' : 'unknown' }
}

function apiKeyQuery(db: Db, digest: string) {
  return db
    .select({ userId: apiKeys.userId, username: users.username, isActive: users.isActive })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, digest))
}

/**
 * Gives the user a new key, replacing any old one (DRF's `drf_create_token -r`). The old key
 * stops working at once where this runs: its D1 row is replaced first, then its cache entries
 * purged (other locations see the KV purge within KV's propagation delay, about 60 s).
 */
export async function replaceApiKey(store: TokenStore, userId: number): Promise<string> {
  const key = mintApiKey()
  const digest = await sha256Hex(key)
  // One batch is one transaction: the digest read is the one the upsert replaces.
  const [previous] = await store.db.batch([
    userApiKeyDigests(store.db, userId),
    store.db
      .insert(apiKeys)
      .values({ keyHash: digest, userId })
      .onConflictDoUpdate({ target: apiKeys.userId, set: { keyHash: digest, createdAt: sql`(unixepoch())` } }),
  ])
  await forgetApiKeys(store, previous)
  return key
}

/** A first key for the user, or null when they already have one (only its digest is kept, so it cannot be shown). */
export async function createApiKey(store: TokenStore, userId: number): Promise<string | null> {
  const key = mintApiKey()
  const inserted = await store.db
    .insert(apiKeys)
    .values({ keyHash: await sha256Hex(key), userId })
    .onConflictDoNothing({ target: apiKeys.userId })
    .returning({ id: apiKeys.id })
  return inserted.length > 0 ? key : null
}

// For the user-wide revocations of ./store.ts, which batch these with their own statements.

/** The digest of the user's key (none or one row), as a batch item. */
export function userApiKeyDigests(db: Db, userId: number) {
  return db.select({ keyHash: apiKeys.keyHash }).from(apiKeys).where(eq(apiKeys.userId, userId))
}

/** Deletes the user's key, returning its digest, as a batch item. */
export function deleteUserApiKey(db: Db, userId: number) {
  return db.delete(apiKeys).where(eq(apiKeys.userId, userId)).returning({ keyHash: apiKeys.keyHash })
}

/** Forgets keys in every cache tier (after D1 changed). */
export async function forgetApiKeys(store: TokenStore, rows: { keyHash: string }[]): Promise<void> {
  await Promise.all(rows.map((row) => forgetCached(store, API_KEY_PREFIX + row.keyHash)))
}

/** The user's key as the operator console lists it: when it was made, never its value or digest. */
export type ApiKeyInfo = { id: number; created: Date }

export async function findUserApiKey(db: Db, userId: number): Promise<ApiKeyInfo | undefined> {
  return db.select({ id: apiKeys.id, created: apiKeys.createdAt }).from(apiKeys).where(eq(apiKeys.userId, userId)).get()
}

/** Revokes the user's key (D1, then every cache tier); false when they had none. */
export async function revokeUserApiKey(store: TokenStore, userId: number): Promise<boolean> {
  const deleted = await deleteUserApiKey(store.db, userId)
  await forgetApiKeys(store, deleted)
  return deleted.length > 0
}
