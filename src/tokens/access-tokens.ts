/**
 * @module
 * Looking up an access token: the shape check (no I/O for a made-up token), then the cache
 * tiers of ./cache.ts, then D1 (a replica first, the primary before "unknown").
 */
import { and, eq, gt } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, applications, users } from '../db/schema.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'
import type { AuthContext } from './auth-context.ts'
import { cachedLookup, fromMemory } from './cache.ts'
import { type JwtAccessTokenVerification, jwtAccessTokenDigest, looksLikeJwt } from './jwt-access-tokens.ts'
import { accessTokenCacheKey, type TokenStore } from './store.ts'

/** The auth context of a live access token, or null for an unknown, expired or inactive one. */
export async function lookupAccessToken(store: TokenStore, token: string): Promise<AuthContext | null> {
  // The shape and checksum refuse a made-up token before any hashing; the MAC, before any I/O.
  if (!store.format.hasShape(token, 'access')) return null
  const digest = await sha256Hex(token)
  const key = accessTokenCacheKey(digest)
  // Only a token that passed the MAC check (or was minted here) is remembered under its digest,
  // so a token this isolate remembers needs no second MAC: the hot path's one hash is the digest.
  const remembered = fromMemory(store, key)
  if (remembered !== undefined) return remembered
  if (!(await store.format.isWellFormed(token, 'access'))) return null
  return cachedLookup(store, key, () => readAccessToken(store, digest), confirmAccessToken(store, digest))
}

/**
 * The digest a presented access token's row is stored under: an opaque token's own digest, or for
 * an RFC 9068 JWT access token of this issuer (with `jwt`), its jti (./jwt-access-tokens.ts); null
 * for anything else, with no I/O.
 */
export async function presentedAccessTokenDigest(
  format: TokenStore['format'],
  token: string,
  jwt?: JwtAccessTokenVerification | null,
): Promise<string | null> {
  if (jwt && looksLikeJwt(token)) return jwtAccessTokenDigest(token, await jwt.keys(), jwt.issuer)
  return (await format.isWellFormed(token, 'access')) ? sha256Hex(token) : null
}

/** Whether the primary still holds the live token (after a cache write: see `writeConfirmed`). */
export function confirmAccessToken(store: TokenStore, digest: string) {
  return async () => (await findLiveAccessToken(store.db, digest)) !== null
}

export type LiveAccessToken = {
  userId: number | null
  username: string | null
  applicationId: number
  clientId: string
  scope: string
  expiresAt: number
  createdAt: Date
  /** As stored: null for the default audience. */
  audience: string | null
  /** RFC 9449: the DPoP key's thumbprint the token is bound to; null: a Bearer token. */
  jkt: string | null
}

/** D1's row for a live access token (unexpired, user active), or null. Never cached. */
export async function findLiveAccessToken(db: Db, digest: string): Promise<LiveAccessToken | null> {
  const row = await accessTokenQuery(db, digest).get()
  if (!row || (row.userId !== null && !row.isActive)) return null
  const { isActive: _, ...live } = row
  return live
}

/**
 * A replica answers first. A digest it does not know is asked of the primary before it is
 * called unknown: a token issued a moment ago (and not in KV, e.g. < 60 s left) may not have
 * reached the replica yet, and the negative cache would otherwise remember it as unknown.
 */
async function readAccessToken(store: TokenStore, digest: string): Promise<AuthContext | null> {
  const row = (await findLiveAccessToken(store.read(), digest)) ?? (await findLiveAccessToken(store.db, digest))
  if (!row) return null
  return {
    scheme: 'bearer',
    userId: row.userId,
    username: row.username,
    clientId: row.clientId,
    applicationId: row.applicationId,
    scopes: parseScope(row.scope),
    expiresAt: row.expiresAt,
    ...(row.audience === null ? {} : { audience: row.audience }),
    ...(row.jkt === null ? {} : { jkt: row.jkt }),
  }
}

/**
 * The lookup of one live access token by digest.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
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
      createdAt: accessTokens.createdAt,
      audience: accessTokens.audience,
      jkt: accessTokens.jkt,
    })
    .from(accessTokens)
    .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
    .leftJoin(users, eq(users.id, accessTokens.userId))
    .where(and(eq(accessTokens.tokenHash, digest), gt(accessTokens.expiresAt, nowSeconds())))
}
