/**
 * @module
 * Looking up an access token: the shape check (no I/O for a made-up token, nor for a real one
 * pointed at another shard), then the cache tiers of ./cache.ts, then its token database (a
 * replica first, the primary before "unknown") and the main database for what the token row does
 * not hold: whether its user is active, their username, the client's client_id.
 */
import { and, eq, gt } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, applications, users } from '../db/schema.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'
import type { AuthContext } from './auth-context.ts'
import { cachedLookup, fromMemory } from './cache.ts'
import { type GrantFacts, stillAsRead } from './fences.ts'
import { type JwtAccessTokenVerification, jwtAccessTokenRow, looksLikeJwt } from './jwt-access-tokens.ts'
import type { TokenDb } from './shards.ts'
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
  // The MAC, and the shard it names (a shard number changed by hand fails it), before any I/O.
  const where = await accessTokenShard(store, token)
  if (!where) return null
  // What the load read of the main database, for the confirm of the cache entry it writes.
  let facts: GrantFacts | undefined
  return cachedLookup(
    store,
    key,
    async () => {
      const live = await readLiveAccessToken(store, where, digest, { replicas: true })
      facts = live?.facts
      return live && authContext(live)
    },
    () => confirmAccessToken(where, digest, facts)(),
  )
}

/**
 * The token database of a well-formed access token; null, with no I/O, for any other value (the
 * checksum and MAC refuse a made-up token and a shard number changed by hand) and for a shard no
 * longer bound.
 */
async function accessTokenShard(store: TokenStore, token: string): Promise<TokenDb | null> {
  const shard = await store.format.shardOf(token, 'access')
  return shard === null ? null : store.shards.get(shard)
}

/**
 * Whether the shard's primary still holds the live token and no fence there is above what was
 * read of its user and client (after a cache write: see ./cache.ts `writeConfirmed`). A
 * deactivation, a new password or a deletion raises its fence in every shard before it purges the
 * caches, so a write that raced the purge is caught here.
 */
export function confirmAccessToken(where: TokenDb, digest: string, facts: GrantFacts | undefined) {
  return async () =>
    (await where.db
      .select({ id: accessTokens.id })
      .from(accessTokens)
      .where(
        and(eq(accessTokens.tokenHash, digest), gt(accessTokens.expiresAt, nowSeconds()), facts && stillAsRead(facts)),
      )
      .get()) !== undefined
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
  /** The user and client as read, for fences to compare. */
  facts: GrantFacts
}

/** Where a presented access token's row is: its token database and the digest it is stored under. */
export type PresentedAccessToken = { where: TokenDb; digest: string }

/**
 * Where a presented access token's row is stored: an opaque token's shard (in its MAC'd body) and
 * its own digest, or for an RFC 9068 JWT access token of this issuer (with `jwt`), the shard and
 * digest of its jti (./jwt-access-tokens.ts); null for anything else and for a shard no longer
 * bound, with no I/O.
 */
export async function presentedAccessToken(
  store: TokenStore,
  token: string,
  jwt?: JwtAccessTokenVerification | null,
): Promise<PresentedAccessToken | null> {
  if (jwt && looksLikeJwt(token)) {
    const row = await jwtAccessTokenRow(token, await jwt.keys(), jwt.issuer)
    const where = row && store.shards.get(row.shard)
    return row && where ? { where, digest: row.digest } : null
  }
  const where = await accessTokenShard(store, token)
  return where && { where, digest: await sha256Hex(token) }
}

/**
 * A live access token (unexpired, its client still there, its user active) as its primaries see
 * it now, or null: RFC 7662 introspection, which answers from D1 alone. Never cached. With `jwt`,
 * `token` may be an RFC 9068 JWT access token of this issuer.
 */
export async function findLiveAccessToken(
  store: TokenStore,
  token: string,
  jwt?: JwtAccessTokenVerification | null,
): Promise<LiveAccessToken | null> {
  const presented = await presentedAccessToken(store, token, jwt)
  if (!presented) return null
  return readLiveAccessToken(store, presented.where, presented.digest, { replicas: false })
}

/**
 * The token row, then its user and client from the main database. With `replicas`, each is read
 * from a replica first and asked of the primary before "unknown" (a token issued a moment ago, not
 * in KV, may not have reached the replica, and the negative cache would remember it as unknown).
 */
async function readLiveAccessToken(
  store: TokenStore,
  where: TokenDb,
  digest: string,
  { replicas }: { replicas: boolean },
): Promise<LiveAccessToken | null> {
  const row =
    (replicas ? await accessTokenQuery(where.read(), digest).get() : undefined) ??
    (await accessTokenQuery(where.db, digest).get())
  if (!row) return null
  // The client and the user in one statement.
  const owners = (db: Db) =>
    db
      .select({
        clientId: applications.clientId,
        applicationGeneration: applications.generation,
        username: users.username,
        isActive: users.isActive,
        userGeneration: users.sessionGeneration,
      })
      .from(applications)
      .leftJoin(users, eq(users.id, row.userId ?? 0))
      .where(eq(applications.id, row.applicationId))
      .get()
  let found = await owners(replicas ? store.read() : store.db)
  // Made a moment ago and not on the replica yet: the primary decides.
  if (replicas && (!found || (row.userId !== null && found.username === null))) found = await owners(store.db)
  if (!found) return null
  const user = row.userId === null || found.username === null ? null : found
  const application = found
  if (row.userId !== null && !user?.isActive) return null
  return {
    ...row,
    clientId: application.clientId,
    username: user?.username ?? null,
    facts: {
      application: { id: row.applicationId, generation: application.applicationGeneration },
      user: row.userId === null || !user ? null : { id: row.userId, sessionGeneration: user.userGeneration ?? 0 },
    },
  }
}

function authContext(row: LiveAccessToken): AuthContext {
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
 * The lookup of one live access token by digest, in its token database.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
export function accessTokenQuery(db: Db, digest: string) {
  return db
    .select({
      userId: accessTokens.userId,
      applicationId: accessTokens.applicationId,
      scope: accessTokens.scope,
      expiresAt: accessTokens.expiresAt,
      createdAt: accessTokens.createdAt,
      audience: accessTokens.audience,
      jkt: accessTokens.jkt,
    })
    .from(accessTokens)
    .where(and(eq(accessTokens.tokenHash, digest), gt(accessTokens.expiresAt, nowSeconds())))
}
