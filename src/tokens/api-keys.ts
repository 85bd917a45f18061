/**
 * @module
 * API keys: DRF's `Token` keys (`rest_framework.authtoken`), unscoped, without expiry; a user
 * may hold several, one per device (as django-rest-knox), each revocable on its own. Called API
 * keys everywhere in code (table `api_keys`); clients still use DRF's public names: the `Authorization: Token <key>` scheme (src/auth/authenticate.ts), `POST
 * /api-token-auth/` (src/accounts/api-keys.ts) and `manage drf_create_token`. D1 holds digests
 * only; lookups go through the same cache tiers (./cache.ts) as access tokens.
 */
import { and, desc, eq, max, ne, notInArray, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import { isWellFormedApiKey, mintApiKey } from '../crypto/token-format.ts'
import { chunks, rowsPerStatement } from '../db/batching.ts'
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
 * How many keys one user may hold. Issuing one more revokes the oldest, so a login loop cannot
 * fill the table, while a login on a new device always succeeds (knox refuses instead).
 * @internal Exported for tests: test/api/api-keys.test.ts fills a user's keys to the bound.
 */
export const MAX_API_KEYS_PER_USER = 50

// Shown in listings (as knox's token_key): 8 of the key's 40 hex characters, leaving 128 secret bits.
const PREFIX_LENGTH = 8

export type IssuedApiKey = { key: string; id: number; prefix: string }
export type ApiKeyListing = { id: number; prefix: string | null; created: Date }

/**
 * Issues the user a new key beside their others (one per device). In the same D1 transaction,
 * keys beyond MAX_API_KEYS_PER_USER (the oldest) are deleted, and `also` runs (e.g. the audit
 * row, which may name the key by `newestApiKeyId`); their cache entries are then purged.
 */
export async function issueApiKey(
  store: TokenStore,
  userId: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<IssuedApiKey> {
  return insertApiKey(store, userId, false, also)
}

/** The id of the user's newest key, as SQL: within the batch that issues one, that key's id. */
export function newestApiKeyId(db: Db, userId: number): SQL {
  return sql`(${db
    .select({ id: max(apiKeys.id) })
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))})`
}

/**
 * Revokes every key of the user and issues one (DRF's `drf_create_token -r`), in one D1
 * transaction, so no key issued meanwhile survives; the old keys' cache entries are then purged.
 */
export async function replaceApiKeys(store: TokenStore, userId: number): Promise<IssuedApiKey> {
  return insertApiKey(store, userId, true)
}

async function insertApiKey(
  store: TokenStore,
  userId: number,
  replace: boolean,
  also: BatchItem<'sqlite'>[] = [],
): Promise<IssuedApiKey> {
  const key = mintApiKey()
  const digest = await sha256Hex(key)
  const prefix = key.slice(0, PREFIX_LENGTH)
  const newest = store.db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.id))
    .limit(MAX_API_KEYS_PER_USER)
  const [inserted, removed] = await store.db.batch([
    store.db.insert(apiKeys).values({ keyHash: digest, userId, prefix }).returning({ id: apiKeys.id }),
    store.db
      .delete(apiKeys)
      .where(and(eq(apiKeys.userId, userId), replace ? ne(apiKeys.keyHash, digest) : notInArray(apiKeys.id, newest)))
      .returning({ keyHash: apiKeys.keyHash }),
    ...also,
  ])
  await forgetApiKeys(store, removed)
  return { key, id: inserted[0].id, prefix }
}

/** The user's keys, newest first: never their digests. */
export async function listApiKeys(db: Db, userId: number): Promise<ApiKeyListing[]> {
  return db
    .select({ id: apiKeys.id, prefix: apiKeys.prefix, created: apiKeys.createdAt })
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.id))
}

/**
 * Revokes one of the user's keys (D1, in one batch with `also`, then every cache tier); false
 * when the user has no such key (then nothing is written).
 */
export async function revokeApiKey(
  store: TokenStore,
  userId: number,
  id: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<boolean> {
  const theirs = and(eq(apiKeys.id, id), eq(apiKeys.userId, userId))
  if (also.length > 0 && !(await store.db.select({ id: apiKeys.id }).from(apiKeys).where(theirs).get())) return false
  const [removed] = await store.db.batch([
    store.db.delete(apiKeys).where(theirs).returning({ keyHash: apiKeys.keyHash }),
    ...also,
  ])
  await forgetApiKeys(store, removed)
  return removed.length > 0
}

/** Revokes the key itself (the one a request presented); false when it is not a known key. */
export async function revokePresentedApiKey(store: TokenStore, key: string): Promise<boolean> {
  if (!isWellFormedApiKey(key)) return false
  const removed = await store.db
    .delete(apiKeys)
    .where(eq(apiKeys.keyHash, await sha256Hex(key)))
    .returning({ keyHash: apiKeys.keyHash })
  await forgetApiKeys(store, removed)
  return removed.length > 0
}

// For the user-wide revocations of ./revocation.ts, which batch these with their own statements.

/** The digests of the user's keys, as a batch item. */
export function userApiKeyDigests(db: Db, userId: number) {
  return db.select({ keyHash: apiKeys.keyHash }).from(apiKeys).where(eq(apiKeys.userId, userId))
}

/** Deletes the user's keys, returning their digests, as a batch item. */
export function deleteUserApiKeys(db: Db, userId: number) {
  return db.delete(apiKeys).where(eq(apiKeys.userId, userId)).returning({ keyHash: apiKeys.keyHash })
}

/**
 * INSERT statements for DRF keys imported from Django (`manage import-django`), digested; a key or
 * user that already has one is left as it is, so importing again changes nothing.
 */
export async function importApiKeyStatements(db: Db, rows: { key: string; userId: number; createdAt: Date }[]) {
  const digested = await Promise.all(
    rows.map(async (row) => ({ keyHash: await sha256Hex(row.key), userId: row.userId, createdAt: row.createdAt })),
  )
  return chunks(digested, rowsPerStatement(3)).map((chunk) =>
    db.insert(apiKeys).values(chunk).onConflictDoNothing().returning({ id: apiKeys.id }),
  )
}

/** Forgets keys in every cache tier (after D1 changed). */
export async function forgetApiKeys(store: TokenStore, rows: { keyHash: string }[]): Promise<void> {
  await Promise.all(rows.map((row) => forgetCached(store, API_KEY_PREFIX + row.keyHash)))
}
