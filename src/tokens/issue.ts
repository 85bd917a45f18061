/**
 * @module
 * Issuing access and refresh tokens: one D1 batch in one token database (./shards.ts: a new
 * grant's shard, or the shard of the code or refresh token redeemed) that writes them only while
 * no fence there refuses what the grant read from the main database (./fences.ts; INSERT …
 * SELECT … WHERE), alone or together with a one-time redemption (a code, a device code, a refresh
 * token), so of any number of concurrent redemptions exactly one gets tokens. See
 * docs/architecture.md "Round trips and consistency".
 */
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, refreshTokens } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { confirmAccessToken } from './access-tokens.ts'
import type { AuthContext } from './auth-context.ts'
import { cacheIssued } from './cache.ts'
import { type GrantFacts, stillAsRead } from './fences.ts'
import { type JwtAccessTokenSigning, signJwtAccessToken } from './jwt-access-tokens.ts'
import type { TokenDb } from './shards.ts'
import { accessTokenCacheKey, forgetAccessTokens, type TokenStore } from './store.ts'

export type IssueRequest = {
  userId: number | null
  username: string | null
  applicationId: number
  clientId: string
  scopes: string[]
  accessLifetime: number
  /** Lifetime of a refresh token to issue alongside, or null for none. */
  refreshLifetime: number | null
  /** Scope of that refresh token when it differs from the access token's (a narrowed refresh, RFC 6749 §6). */
  refreshScopes?: string[]
  /** Rotation family of that refresh token (`refreshTokenFamily`); a new grant starts its own. */
  familyId?: number
  /** OIDC auth_time kept on that refresh token, so a refresh's id_token repeats it (OIDC Core §12.2). */
  authTime?: number | null
  /** RFC 8707 audience of the access token, as stored (src/resource/audiences.ts); null or absent: the default. */
  audience?: string | null
  /** Audience of that refresh token when it differs from the access token's (a narrowed refresh, RFC 8707 §2.2). */
  refreshAudience?: string | null
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the access token is bound to; null or absent: a Bearer token. */
  jkt?: string | null
  /** RFC 9449 §5: the thumbprint that refresh token is bound to (a public client's key); null or absent: none. */
  refreshJkt?: string | null
  /** RFC 9068: hand the access token out as a JWT signed so (./jwt-access-tokens.ts); absent: the opaque token. */
  jwt?: JwtAccessTokenSigning
}

export type IssuedTokens = {
  accessToken: string
  refreshToken: string | null
  expiresIn: number
  scopes: string[]
  /** RFC 9449 §5: the DPoP key's thumbprint the access token is bound to; null: a Bearer token. */
  jkt: string | null
}

/**
 * Issues a new grant's tokens, in the shard nearest the client (`store.shards.forNewGrant()`; with
 * `inMain`, in the main database), only while `facts` — the application and user rows the caller read, typically from a replica —
 * are not older than a fence there (./fences.ts). Null when one is: a change (deactivation, new
 * password or secret, deletion) raced this request and nothing was written; read them again from
 * the primary. See docs/architecture.md "Round trips and consistency". Without `facts`, nothing
 * is checked (tests that store tokens directly).
 */
export async function issueTokensIf(
  store: TokenStore,
  request: IssueRequest,
  facts: GrantFacts | undefined,
  inMain?: InMainDatabase,
): Promise<IssuedTokens | null> {
  const where = inMain ? store.shards.main() : store.shards.forNewGrant()
  const outcome = await storeTokens(store, where, request, facts, null, inMain)
  return outcome.status === 'issued' ? outcome.tokens : null
}

/** The new access token as statements of its own batch see it. */
type IssuedInBatch = {
  /** Holds once the access token was written (it is not when `facts` no longer held). */
  written: SQL
  /** Its row id. */
  accessTokenId: SQL
}

/**
 * What a grant's write needs of the main database's own tables, beyond the fences (an ID-JAG's:
 * its provider still trusted, its jti unused, then recorded and audited): its tokens go to shard
 * 0, the main database, where `also` joins the INSERT's condition and `alongside` — statements
 * of another module, each conditioned on `written` — runs after them in the same batch.
 */
export type InMainDatabase = {
  also: SQL | undefined
  alongside: (issued: IssuedInBatch) => BatchItem<'sqlite'>[]
}

/**
 * What a redemption came to: `issued`; `lost`, when the code or token was already used (a
 * concurrent request won, or a replay); `stale`, when `facts` no longer held on the primary
 * (nothing was written, the code or token is still unused).
 */
export type Redemption = { status: 'issued'; tokens: IssuedTokens } | { status: 'lost' } | { status: 'stale' }

/**
 * A one-time redemption (an authorization code, a refresh token) and the tokens it yields,
 * in ONE D1 batch of `where`, the token database that holds the code or token (so the grant's
 * tokens stay in its shard) — one transaction, never interleaved with another request's statements.
 * `redemption` is a conditional UPDATE … RETURNING that matches one row only while the
 * code or token is unused and `facts` holds; when it matches nothing, the tokens inserted
 * alongside (if `facts` held) are deleted unseen. So of any number of concurrent
 * redemptions exactly one gets tokens, and anything that sees the redemption also sees
 * those tokens (a family revocation after it cannot miss them). `retire`, run last in the batch:
 * a DELETE … RETURNING of access tokens the redemption ends (a rotated refresh token's), which
 * every cache tier then forgets before the answer.
 */
export async function redeemAndIssueTokens(
  store: TokenStore,
  where: TokenDb,
  request: IssueRequest,
  redemption: BatchItem<'sqlite'>,
  facts?: GrantFacts,
  retire: BatchItem<'sqlite'> | null = null,
): Promise<Redemption> {
  return storeTokens(store, where, request, facts, { redemption, retire })
}

type RedemptionStatements = {
  redemption: BatchItem<'sqlite'>
  /** A statement run last in the batch whose RETURNING rows are access token digests to forget. */
  retire: BatchItem<'sqlite'> | null
}

/** A value selected into `column` by an INSERT … SELECT, encoded as the column stores it (its driver mapping). */
function bound<T>(value: T, column: SQLiteColumn): SQL.Aliased<T> {
  return sql<T>`${sql.param(value, column)}`.as(column.name)
}

/** An SQL expression selected into `column` by an INSERT … SELECT. */
function computed(expression: SQL, column: SQLiteColumn): SQL.Aliased {
  return expression.as(column.name)
}

// The one row an INSERT … SELECT reads its values from: the shard holds no application to select.
const ONE_ROW = sql`(SELECT 1)`

async function storeTokens(
  store: TokenStore,
  where: TokenDb,
  request: IssueRequest,
  facts: GrantFacts | undefined,
  redeem: RedemptionStatements | null,
  inMain?: InMainDatabase,
): Promise<Redemption> {
  const now = nowSeconds()
  const accessToken = await store.format.mint('access', where.shard)
  const accessHash = await sha256Hex(accessToken)
  const expiresAt = now + request.accessLifetime
  const scope = request.scopes.join(' ')
  const audience = request.audience ?? null
  const jkt = request.jkt ?? null
  const { db } = where
  // Signed before anything is written: a key fault leaves no row behind.
  const handedOut = request.jwt
    ? await signJwtAccessToken(request.jwt, {
        digest: accessHash,
        shard: where.shard,
        userId: request.userId,
        clientId: request.clientId,
        scopes: request.scopes,
        issuedAt: now,
        expiresAt,
        jkt,
      })
    : accessToken
  // INSERT … SELECT: the row is written only while no fence refuses `facts`, checked by the
  // shard's primary in the same transaction as the write.
  const statements: BatchItem<'sqlite'>[] = [
    db
      .insert(accessTokens)
      .select((qb) =>
        qb
          .select({
            id: computed(sql`NULL`, accessTokens.id),
            tokenHash: bound(accessHash, accessTokens.tokenHash),
            userId: bound(request.userId, accessTokens.userId),
            applicationId: bound(request.applicationId, accessTokens.applicationId),
            scope: bound(scope, accessTokens.scope),
            expiresAt: bound(expiresAt, accessTokens.expiresAt),
            createdAt: computed(sql`unixepoch()`, accessTokens.createdAt),
            audience: bound(audience, accessTokens.audience),
            imported: computed(sql`NULL`, accessTokens.imported),
            jkt: bound(jkt, accessTokens.jkt),
          })
          .from(ONE_ROW)
          .where(and(facts && stillAsRead(facts), inMain?.also)),
      )
      .returning({ id: accessTokens.id }),
  ]

  let refreshToken: string | null = null
  let refreshHash: string | null = null
  if (request.refreshLifetime !== null) {
    refreshToken = await store.format.mint('refresh', where.shard)
    refreshHash = await sha256Hex(refreshToken)
    // Written with the access token above, or not at all.
    statements.push(
      db.insert(refreshTokens).select((qb) =>
        qb
          .select({
            id: computed(sql`NULL`, refreshTokens.id),
            tokenHash: bound(refreshHash, refreshTokens.tokenHash),
            accessTokenId: accessTokens.id,
            userId: bound(request.userId, refreshTokens.userId),
            applicationId: accessTokens.applicationId,
            scope: bound((request.refreshScopes ?? request.scopes).join(' '), refreshTokens.scope),
            // Null: this token starts a family named by its own id (schema.ts `familyId`).
            familyId: bound(request.familyId ?? null, refreshTokens.familyId),
            authTime: bound(request.authTime ?? null, refreshTokens.authTime),
            expiresAt: bound(now + (request.refreshLifetime ?? 0), refreshTokens.expiresAt),
            revokedAt: computed(sql`NULL`, refreshTokens.revokedAt),
            createdAt: computed(sql`unixepoch()`, refreshTokens.createdAt),
            audience: bound(
              request.refreshAudience === undefined ? audience : request.refreshAudience,
              refreshTokens.audience,
            ),
            imported: computed(sql`NULL`, refreshTokens.imported),
            jkt: bound(request.refreshJkt ?? null, refreshTokens.jkt),
          })
          .from(accessTokens)
          .where(eq(accessTokens.tokenHash, accessHash)),
      ),
    )
  }

  if (inMain) {
    const accessTokenId = sql`(${accessTokenIdByDigest(db, accessHash)})`
    statements.push(...inMain.alongside({ written: sql`${accessTokenId} IS NOT NULL`, accessTokenId }))
  }

  // One batch is one transaction: the redemption and both tokens are stored, or none is.
  const batch = redeem ? [redeem.redemption, ...statements] : statements
  if (redeem?.retire) batch.push(redeem.retire)
  const [first, ...rest] = batch
  const results = await db.batch([first, ...rest])
  const inserted = results[redeem ? 1 : 0] as { id: number }[]
  if (inserted.length === 0) return { status: 'stale' }
  if (redeem && !(Array.isArray(results[0]) && results[0].length === 1)) {
    await db.batch([
      db.delete(refreshTokens).where(inArray(refreshTokens.accessTokenId, accessTokenIdByDigest(db, accessHash))),
      db.delete(accessTokens).where(eq(accessTokens.tokenHash, accessHash)),
    ])
    return { status: 'lost' }
  }
  if (redeem?.retire) {
    const retired = results[results.length - 1] as { tokenHash: string }[]
    // After the answer: the retired token is a rotation's, not a revocation's (no KV round trip
    // on the client's path); it leaves every tier a moment later.
    store.waitUntil(
      forgetAccessTokens(
        store,
        retired.map((row) => row.tokenHash),
      ),
    )
  }

  const context: AuthContext = {
    scheme: 'bearer',
    userId: request.userId,
    username: request.username,
    clientId: request.clientId,
    applicationId: request.applicationId,
    scopes: request.scopes,
    expiresAt,
    ...(audience === null ? {} : { audience }),
    ...(jkt === null ? {} : { jkt }),
  }
  // The client does not wait for the KV write (nor its confirm): a first use that misses KV
  // reads D1, whose primary has the row (src/tokens/cache.ts, readAccessToken). A JWT is never
  // looked up through the cache: its resource verifies it, introspection reads D1.
  if (!request.jwt) {
    store.waitUntil(
      cacheIssued(store, accessTokenCacheKey(accessHash), context, confirmAccessToken(where, accessHash, facts)),
    )
  }
  return {
    status: 'issued',
    tokens: { accessToken: handedOut, refreshToken, expiresIn: request.accessLifetime, scopes: request.scopes, jkt },
  }
}

function accessTokenIdByDigest(db: Db, digest: string) {
  return db.select({ id: accessTokens.id }).from(accessTokens).where(eq(accessTokens.tokenHash, digest))
}
