/**
 * @module
 * Token store: issue and look up access and refresh tokens and DRF `Token` keys. D1 holds
 * the truth (digests only); KV caches the auth context of each live token under its digest.
 * The caching rules live here and nowhere else.
 */
import { and, eq, gt, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { isWellFormedApiKey, isWellFormedToken, mintApiKey, mintToken } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, apiTokens, applications, refreshTokens, users } from '../db/schema.ts'
import { type AuthContext, nowSeconds } from './auth-context.ts'

// KV refuses an `expiration` less than 60 s ahead: such a token is simply not cached.
export const KV_MIN_TTL_SECONDS = 60

// DRF keys never expire, so their cache entries get a lifetime of their own: it bounds how long
// a change made to D1 outside this module (a user deactivated, a key row deleted) can go unseen.
// Replacing a key through this module purges its entry at once.
export const API_KEY_CACHE_TTL_SECONDS = 300

const ACCESS_KEY_PREFIX = 'at:'
const API_KEY_PREFIX = 'ak:'

// A KV read that has not answered by then is treated as a miss: D1 answers instead.
// Hot KV reads take a few ms, cold ones tens of ms; a second means KV is in trouble.
export const KV_READ_TIMEOUT_MS = 1000

export type TokenStore = {
  db: Db
  kv: KVNamespace
  /** Lets cache write-backs finish after the response is sent. */
  waitUntil: (promise: Promise<unknown>) => void
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

  await cacheAccessToken(store, accessHash, {
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
  if (!isWellFormedToken(token, 'access')) return null
  const digest = await sha256Hex(token)
  const cached = await readCache(store, ACCESS_KEY_PREFIX + digest)
  if (cached) return isLive(cached) ? cached : null

  const context = await readAccessToken(store.db, digest)
  if (context) store.waitUntil(cacheAccessToken(store, digest, context))
  return context
}

async function readAccessToken(db: Db, digest: string): Promise<AuthContext | null> {
  const row = await db
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
    .get()
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

function isLive(context: AuthContext): boolean {
  return context.expiresAt === null || context.expiresAt > nowSeconds()
}

// The cache is an optimisation: when KV fails or hangs, D1 answers and the failure is logged.
async function readCache(store: TokenStore, key: string): Promise<AuthContext | null> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV read timed out after ${KV_READ_TIMEOUT_MS} ms`)), KV_READ_TIMEOUT_MS)
  })
  try {
    return await Promise.race([store.kv.get<AuthContext>(key, 'json'), timeout])
  } catch (error) {
    console.warn('token cache read failed; falling back to D1', error)
    return null
  } finally {
    clearTimeout(timer)
  }
}

async function cacheAccessToken(store: TokenStore, digest: string, context: AuthContext): Promise<void> {
  if (context.expiresAt === null || context.expiresAt - nowSeconds() < KV_MIN_TTL_SECONDS) return
  await writeCache(store, ACCESS_KEY_PREFIX + digest, context, { expiration: context.expiresAt })
}

async function writeCache(
  store: TokenStore,
  key: string,
  context: AuthContext,
  options: KVNamespacePutOptions,
): Promise<void> {
  try {
    await store.kv.put(key, JSON.stringify(context), options)
  } catch (error) {
    console.warn('token cache write failed', error)
  }
}

/** What a DRF `Token` key proves: a caller, a known key of an inactive user, or nothing. */
export type ApiKeyLookup = { status: 'valid'; context: AuthContext } | { status: 'inactive' } | { status: 'unknown' }

/** Looks a DRF `Token` key up: KV by digest, D1 on a miss (then cached for API_KEY_CACHE_TTL_SECONDS). */
export async function lookupApiKey(store: TokenStore, key: string): Promise<ApiKeyLookup> {
  if (!isWellFormedApiKey(key)) return { status: 'unknown' }
  const digest = await sha256Hex(key)
  const cached = await readCache(store, API_KEY_PREFIX + digest)
  if (cached) return { status: 'valid', context: cached }

  const row = await store.db
    .select({ userId: apiTokens.userId, username: users.username, isActive: users.isActive })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.keyHash, digest))
    .get()
  if (!row) return { status: 'unknown' }
  // Inactive users are not cached, so reactivating one takes effect at once.
  if (!row.isActive) return { status: 'inactive' }
  const context: AuthContext = {
    scheme: 'token',
    userId: row.userId,
    username: row.username,
    clientId: null,
    applicationId: null,
    scopes: [],
    expiresAt: null,
  }
  store.waitUntil(writeCache(store, API_KEY_PREFIX + digest, context, { expirationTtl: API_KEY_CACHE_TTL_SECONDS }))
  return { status: 'valid', context }
}

/**
 * Gives the user a new key, replacing any old one (DRF's `drf_create_token -r`). The old key
 * stops working at once where this runs: its D1 row is replaced first, then its KV entry purged
 * (other locations see the purge within KV's propagation delay, about 60 s).
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
  for (const row of previous) await store.kv.delete(API_KEY_PREFIX + row.keyHash)
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
