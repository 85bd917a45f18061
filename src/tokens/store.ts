/**
 * @module
 * Token store: issue and look up access and refresh tokens. D1 holds the truth (digests
 * only); the cache tiers of ./cache.ts (isolate memory, KV) answer before it.
 */
import { and, eq, gt, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { isWellFormedToken, mintToken } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, applications, refreshTokens, users } from '../db/schema.ts'
import { type AuthContext, nowSeconds } from './auth-context.ts'
import { type CacheTiers, cachedLookup, cacheIssued } from './cache.ts'

const ACCESS_KEY_PREFIX = 'at:'

export type TokenStore = CacheTiers & {
  /** The primary: every write, and reads that must see the latest state. */
  db: Db
  /** A read session that D1 may serve from a replica (opened on first use). */
  read: () => Db
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
