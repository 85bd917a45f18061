/**
 * @module
 * Token store: issue and look up access and refresh tokens and DRF `Token` keys. D1 holds the
 * truth (digests only); the cache tiers of ./cache.ts (isolate memory, KV) answer before it.
 */
import { and, eq, gt, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { isWellFormedApiKey, isWellFormedToken, mintApiKey, mintToken } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, apiTokens, applications, refreshTokens, users } from '../db/schema.ts'
import { type AuthContext, nowSeconds } from './auth-context.ts'
import { type CacheTiers, cachedLookup, cacheIssued, forgetCached } from './cache.ts'

const ACCESS_KEY_PREFIX = 'at:'
const API_KEY_PREFIX = 'ak:'

export type TokenStore = CacheTiers & {
  /** The primary: every write, and reads that must see the latest state. */
  db: Db
  /** A read session that D1 may serve from a replica (opened on first use). */
  read: () => Db
}

const NO_MEMORY_TIERS = { memorySeconds: 0, memoryEntries: 0, negativeSeconds: 0 }

/** A store outside a request (the CLI, tests): reads go to the primary; KV is the only cache tier. */
export function standaloneTokenStore(
  db: Db,
  kv: KVNamespace,
  waitUntil: (promise: Promise<unknown>) => void = (promise) => void promise,
): TokenStore {
  return { db, read: () => db, kv, waitUntil, cache: NO_MEMORY_TIERS }
}

export type IssueRequest = {
  userId: number | null
  username: string | null
  applicationId: number
  clientId: string
  scopes: string[]
  accessLifetime: number
  /** Lifetime of a refresh token to issue alongside, or null for none. */
  refreshLifetime: number | null
}

export type IssuedTokens = {
  accessToken: string
  refreshToken: string | null
  expiresIn: number
  scopes: string[]
}

export async function issueTokens(store: TokenStore, request: IssueRequest): Promise<IssuedTokens> {
  const now = nowSeconds()
  const accessToken = mintToken('access')
  const accessHash = await sha256Hex(accessToken)
  const expiresAt = now + request.accessLifetime
  const scope = request.scopes.join(' ')
  const insertAccess = store.db.insert(accessTokens).values({
    tokenHash: accessHash,
    userId: request.userId,
    applicationId: request.applicationId,
    scope,
    expiresAt,
  })

  let refreshToken: string | null = null
  if (request.refreshLifetime === null) {
    await insertAccess
  } else {
    refreshToken = mintToken('refresh')
    const refreshHash = await sha256Hex(refreshToken)
    // One batch is one transaction: both tokens are stored, or neither is.
    await store.db.batch([
      insertAccess,
      store.db.insert(refreshTokens).values({
        tokenHash: refreshHash,
        accessTokenId: sql`(SELECT id FROM access_tokens WHERE token_hash = ${accessHash})`,
        userId: request.userId,
        applicationId: request.applicationId,
        scope,
        familyId: refreshHash,
        expiresAt: now + request.refreshLifetime,
      }),
    ])
  }

  await cacheIssued(store, ACCESS_KEY_PREFIX + accessHash, {
    scheme: 'bearer',
    userId: request.userId,
    username: request.username,
    clientId: request.clientId,
    applicationId: request.applicationId,
    scopes: request.scopes,
    expiresAt,
  })
  return { accessToken, refreshToken, expiresIn: request.accessLifetime, scopes: request.scopes }
}

/** The auth context of a live access token, or null for an unknown, expired or inactive one. */
export async function lookupAccessToken(store: TokenStore, token: string): Promise<AuthContext | null> {
  // The check value refuses a made-up token before any hashing or I/O.
  if (!isWellFormedToken(token, 'access')) return null
  const digest = await sha256Hex(token)
  return cachedLookup(store, ACCESS_KEY_PREFIX + digest, () => readAccessToken(store, digest))
}

/**
 * A replica answers first. A digest it does not know is asked of the primary before it is
 * called unknown: a token issued a moment ago (and not in KV, e.g. < 60 s left) may not have
 * reached the replica yet, and the negative cache would otherwise remember it as unknown.
 */
async function readAccessToken(store: TokenStore, digest: string): Promise<AuthContext | null> {
  const row = (await accessTokenQuery(store.read(), digest).get()) ?? (await accessTokenQuery(store.db, digest).get())
  if (!row || (row.userId !== null && !row.isActive)) return null
  return {
    scheme: 'bearer',
    userId: row.userId,
    username: row.username,
    clientId: row.clientId,
    applicationId: row.applicationId,
    scopes: row.scope.split(' ').filter(Boolean),
    expiresAt: row.expiresAt,
  }
}

/** The lookup of one live access token by digest (exported for the query-plan test). */
export function accessTokenQuery(db: Db, digest: string) {
  return db
    .select({
      userId: accessTokens.userId,
      username: users.username,
      isActive: users.isActive,
      applicationId: accessTokens.applicationId,
      clientId: applications.clientId,
      scope: accessTokens.scope,
      expiresAt: accessTokens.expiresAt,
    })
    .from(accessTokens)
    .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
    .leftJoin(users, eq(users.id, accessTokens.userId))
    .where(and(eq(accessTokens.tokenHash, digest), gt(accessTokens.expiresAt, nowSeconds())))
}

/** What a DRF `Token` key proves: a caller, a known key of an inactive user, or nothing. */
export type ApiKeyLookup = { status: 'valid'; context: AuthContext } | { status: 'inactive' } | { status: 'unknown' }

/** Looks a DRF `Token` key up through the same cache tiers as access tokens. */
export async function lookupApiKey(store: TokenStore, key: string): Promise<ApiKeyLookup> {
  if (!isWellFormedApiKey(key)) return { status: 'unknown' }
  const digest = await sha256Hex(key)
  let inactive = false
  const context = await cachedLookup(store, API_KEY_PREFIX + digest, async () => {
    // As for access tokens: a key a replica does not know yet is asked of the primary.
    const row = (await apiKeyQuery(store.read(), digest).get()) ?? (await apiKeyQuery(store.db, digest).get())
    if (!row) return null
    // Not cached as valid, so reactivating the user takes effect at once.
    inactive = !row.isActive
    if (inactive) return null
    return {
      scheme: 'token',
      userId: row.userId,
      username: row.username,
      clientId: null,
      applicationId: null,
      scopes: [],
      expiresAt: null,
    }
  })
  if (context) return { status: 'valid', context }
  return { status: inactive ? 'inactive' : 'unknown' }
}

function apiKeyQuery(db: Db, digest: string) {
  return db
    .select({ userId: apiTokens.userId, username: users.username, isActive: users.isActive })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.keyHash, digest))
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
    store.db.select({ keyHash: apiTokens.keyHash }).from(apiTokens).where(eq(apiTokens.userId, userId)),
    store.db
      .insert(apiTokens)
      .values({ keyHash: digest, userId })
      .onConflictDoUpdate({ target: apiTokens.userId, set: { keyHash: digest, createdAt: sql`(unixepoch())` } }),
  ])
  for (const row of previous) await forgetCached(store, API_KEY_PREFIX + row.keyHash)
  return key
}

/** A first key for the user, or null when they already have one (only its digest is kept, so it cannot be shown). */
export async function createApiKey(store: TokenStore, userId: number): Promise<string | null> {
  const key = mintApiKey()
  const inserted = await store.db
    .insert(apiTokens)
    .values({ keyHash: await sha256Hex(key), userId })
    .onConflictDoNothing({ target: apiTokens.userId })
    .returning({ id: apiTokens.id })
  return inserted.length > 0 ? key : null
}
