/**
 * @module
 * Token store: issue, look up, list and revoke OAuth access and refresh tokens, and the
 * user-wide revocations that take a user's API keys (./api-keys.ts) with them. D1 holds the
 * truth (digests only); the cache tiers of ./cache.ts (isolate memory, KV) answer before it,
 * and every revocation goes through `forgetCached` after D1 changed. No other module queries
 * the token tables: callers say what they want done (`revokeApplicationTokens`, `hasLiveGrant`…).
 */
import { and, asc, count, desc, eq, exists, gt, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { sha256Hex } from '../crypto/digest.ts'
import type { TokenFormat } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import type { PagedQuery } from '../db/paging.ts'
import { accessTokens, applications, refreshTokens, type User, users } from '../db/schema.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'
import { deleteUserApiKeys, forgetApiKeys, userApiKeyDigests } from './api-keys.ts'
import type { AuthContext } from './auth-context.ts'
import { type CacheTiers, cachedLookup, cacheIssued, forgetCached } from './cache.ts'

const ACCESS_KEY_PREFIX = 'at:'

/** The token cache's key for an access token's digest (the benchmark reads it directly too). */
export function accessTokenCacheKey(digest: string): string {
  return ACCESS_KEY_PREFIX + digest
}

export type TokenStore = CacheTiers & {
  /** The primary: every write, and reads that must see the latest state. */
  db: Db
  /** A read session that D1 may serve from a replica (opened on first use). */
  read: () => Db
  /** Mints tokens and refuses forged ones before any I/O (keyed by SECRET_KEY). */
  format: TokenFormat
}

const NO_MEMORY_TIERS = { memorySeconds: 0, memoryEntries: 0, negativeSeconds: 0 }

/** A store outside a request (the CLI, tests): reads go to the primary; KV is the only cache tier. */
export function standaloneTokenStore(
  db: Db,
  kv: KVNamespace,
  format: TokenFormat,
  waitUntil: (promise: Promise<unknown>) => void = (promise) => void promise,
): TokenStore {
  return { db, read: () => db, kv, format, waitUntil, cache: NO_MEMORY_TIERS }
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
  /** Scope of that refresh token when it differs from the access token's (a narrowed refresh, RFC 6749 §6). */
  refreshScopes?: string[]
  /** Rotation family of that refresh token (`refreshTokenFamily`); a new grant starts its own. */
  familyId?: number
  /** OIDC auth_time kept on that refresh token, so a refresh's id_token repeats it (OIDC Core §12.2). */
  authTime?: number | null
  /** RFC 8707 audience of the access token, as stored (src/oauth/resources.ts); null or absent: the default. */
  audience?: string | null
  /** Audience of that refresh token when it differs from the access token's (a narrowed refresh, RFC 8707 §2.2). */
  refreshAudience?: string | null
}

export type IssuedTokens = {
  accessToken: string
  refreshToken: string | null
  expiresIn: number
  scopes: string[]
}

/** Issues tokens for an application that exists (tests, the CLI): no other fact is re-checked. */
export async function issueTokens(store: TokenStore, request: IssueRequest): Promise<IssuedTokens> {
  const outcome = await storeTokens(store, request, undefined, null)
  if (outcome.status !== 'issued') throw new Error(`no application ${request.applicationId}`)
  return outcome.tokens
}

/**
 * Issues tokens only while `facts` holds on the primary when the tokens are written: the
 * conditions (built by the modules that own them, e.g. `applicationStillAllows`,
 * `userStillActive`) that the caller read from a replica. Null when they no longer hold (the
 * replica was stale, or a change raced this request): nothing was written; read them again
 * from the primary. See docs/architecture.md "Round trips and consistency".
 */
export async function issueTokensIf(
  store: TokenStore,
  request: IssueRequest,
  facts: SQL | undefined,
): Promise<IssuedTokens | null> {
  const outcome = await storeTokens(store, request, facts, null)
  return outcome.status === 'issued' ? outcome.tokens : null
}

/**
 * What a redemption came to: `issued`; `lost`, when the code or token was already used (a
 * concurrent request won, or a replay); `stale`, when `facts` no longer held on the primary
 * (nothing was written, the code or token is still unused).
 */
export type Redemption =
  | { status: 'issued'; tokens: IssuedTokens; retired: string[] }
  | { status: 'lost' }
  | { status: 'stale' }

/**
 * A one-time redemption (an authorization code, a refresh token) and the tokens it yields,
 * in ONE D1 batch — one transaction, never interleaved with another request's statements.
 * `redemption` is a conditional UPDATE … RETURNING that matches one row only while the
 * code or token is unused and `facts` holds; when it matches nothing, the tokens inserted
 * alongside (if `facts` held) are deleted unseen. So of any number of concurrent
 * redemptions exactly one gets tokens, and anything that sees the redemption also sees
 * those tokens (a family revocation after it cannot miss them).
 */
export async function redeemAndIssueTokens(
  store: TokenStore,
  request: IssueRequest,
  redemption: BatchItem<'sqlite'>,
  facts?: SQL,
): Promise<Redemption> {
  return storeTokens(store, request, facts, { redemption, retire: null })
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

async function storeTokens(
  store: TokenStore,
  request: IssueRequest,
  facts: SQL | undefined,
  redeem: RedemptionStatements | null,
): Promise<Redemption> {
  const now = nowSeconds()
  const accessToken = await store.format.mint('access')
  const accessHash = await sha256Hex(accessToken)
  const expiresAt = now + request.accessLifetime
  const scope = request.scopes.join(' ')
  const audience = request.audience ?? null
  const { db } = store
  // INSERT … SELECT: the row is written only while the application exists and `facts` holds,
  // checked by the primary in the same transaction as the write.
  const statements: BatchItem<'sqlite'>[] = [
    db
      .insert(accessTokens)
      .select((qb) =>
        qb
          .select({
            id: computed(sql`NULL`, accessTokens.id),
            tokenHash: bound(accessHash, accessTokens.tokenHash),
            userId: bound(request.userId, accessTokens.userId),
            applicationId: applications.id,
            scope: bound(scope, accessTokens.scope),
            expiresAt: bound(expiresAt, accessTokens.expiresAt),
            createdAt: computed(sql`unixepoch()`, accessTokens.createdAt),
            audience: bound(audience, accessTokens.audience),
            imported: computed(sql`NULL`, accessTokens.imported),
          })
          .from(applications)
          .where(and(eq(applications.id, request.applicationId), facts)),
      )
      .returning({ id: accessTokens.id }),
  ]

  let refreshToken: string | null = null
  let refreshHash: string | null = null
  if (request.refreshLifetime !== null) {
    refreshToken = await store.format.mint('refresh')
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
          })
          .from(accessTokens)
          .where(eq(accessTokens.tokenHash, accessHash)),
      ),
    )
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
  const retired = redeem?.retire ? (results[results.length - 1] as { tokenHash: string }[]) : []

  const context: AuthContext = {
    scheme: 'bearer',
    userId: request.userId,
    username: request.username,
    clientId: request.clientId,
    applicationId: request.applicationId,
    scopes: request.scopes,
    expiresAt,
    ...(audience === null ? {} : { audience }),
  }
  // The client does not wait for the KV write (nor its confirm): a first use that misses KV
  // reads D1, whose primary has the row (src/tokens/cache.ts, readAccessToken).
  store.waitUntil(cacheIssued(store, accessTokenCacheKey(accessHash), context, confirmAccessToken(store, accessHash)))
  return {
    status: 'issued',
    tokens: { accessToken, refreshToken, expiresIn: request.accessLifetime, scopes: request.scopes },
    retired: retired.map((row) => row.tokenHash),
  }
}

function accessTokenIdByDigest(db: Db, digest: string) {
  return db.select({ id: accessTokens.id }).from(accessTokens).where(eq(accessTokens.tokenHash, digest))
}

/** The auth context of a live access token, or null for an unknown, expired or inactive one. */
export async function lookupAccessToken(store: TokenStore, token: string): Promise<AuthContext | null> {
  // The checksum and MAC refuse a made-up token before any hashing or I/O.
  if (!(await store.format.isWellFormed(token, 'access'))) return null
  const digest = await sha256Hex(token)
  return cachedLookup(
    store,
    accessTokenCacheKey(digest),
    () => readAccessToken(store, digest),
    confirmAccessToken(store, digest),
  )
}

/** Whether the primary still holds the live token (after a cache write: see `writeConfirmed`). */
function confirmAccessToken(store: TokenStore, digest: string) {
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
      createdAt: accessTokens.createdAt,
      audience: accessTokens.audience,
    })
    .from(accessTokens)
    .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
    .leftJoin(users, eq(users.id, accessTokens.userId))
    .where(and(eq(accessTokens.tokenHash, digest), gt(accessTokens.expiresAt, nowSeconds())))
}

export type RefreshTokenRow = typeof refreshTokens.$inferSelect

export type FoundRefreshToken =
  | { status: 'live'; row: RefreshTokenRow; user: User | null }
  /** Already rotated or revoked: a replay (RFC 9700 §4.14.2). */
  | { status: 'reused'; row: RefreshTokenRow }
  | { status: 'invalid' }

/**
 * A refresh token, its user, and whether it can still be redeemed, as `db` sees it (a replica
 * when the caller passes one; the caller checks the token is its client's). A replica's
 * "reused" is final (a revoked token is never unrevoked) and so is "expired"; a token it does
 * not know is asked of the primary, since it may have been issued a moment ago. "live" is
 * re-checked by the redemption itself (`rotateRefreshToken`).
 */
export async function findRefreshToken(
  store: TokenStore,
  token: string,
  db: Db = store.db,
): Promise<FoundRefreshToken> {
  if (!(await store.format.isWellFormed(token, 'refresh'))) return { status: 'invalid' }
  const digest = await sha256Hex(token)
  const query = (from: Db) =>
    from
      .select({ row: refreshTokens, user: users })
      .from(refreshTokens)
      .leftJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, digest))
      .get()
  const found = (await query(db)) ?? (db === store.db ? undefined : await query(store.db))
  if (!found) return { status: 'invalid' }
  const { row, user } = found
  if (row.revokedAt !== null) return { status: 'reused', row }
  return row.expiresAt > nowSeconds() ? { status: 'live', row, user } : { status: 'invalid' }
}

/** The refresh token's row as the primary has it now (after a lost redemption: when was it used?). */
export async function currentRefreshToken(store: TokenStore, row: RefreshTokenRow): Promise<RefreshTokenRow> {
  return (await store.db.select().from(refreshTokens).where(eq(refreshTokens.id, row.id)).get()) ?? row
}

/**
 * Rotates a refresh token (RFC 6749 §6): in ONE batch, marks it used (only while it is unused
 * and `facts` holds), issues the new access and refresh tokens, and deletes the access token it
 * was issued with (as DOT), which then leaves every cache tier. The old access token is deleted
 * only once the refresh token is used, so a redemption refused for stale facts leaves it alone.
 */
export async function rotateRefreshToken(
  store: TokenStore,
  request: IssueRequest,
  row: RefreshTokenRow,
  facts: SQL | undefined,
): Promise<Redemption> {
  const now = nowSeconds()
  const used = store.db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.id, row.id), isNotNull(refreshTokens.revokedAt)))
  const outcome = await storeTokens(store, request, facts, {
    redemption: store.db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(
        and(eq(refreshTokens.id, row.id), isNull(refreshTokens.revokedAt), gt(refreshTokens.expiresAt, now), facts),
      )
      .returning({ id: refreshTokens.id }),
    retire:
      row.accessTokenId === null
        ? null
        : store.db
            .delete(accessTokens)
            .where(and(eq(accessTokens.id, row.accessTokenId), exists(used)))
            .returning({ tokenHash: accessTokens.tokenHash }),
  })
  if (outcome.status === 'issued') await purgeCache(store, outcome.retired)
  return outcome
}

/** The rotation family a refresh token belongs to: a family's first token holds null and names it by its id. */
export function refreshTokenFamily(row: { id: number; familyId: number | null }): number {
  return row.familyId ?? row.id
}

// The refresh tokens of `families` (a list or a subquery of family ids): a family's first token
// (its id names the family) or a later one (family_id). SQLite plans it as a MULTI-INDEX OR.
const inFamilies = (families: SQL) =>
  or(sql`${refreshTokens.familyId} IN ${families}`, sql`${refreshTokens.id} IN ${families}`)

function familiesAccessTokenIds(db: Db, families: SQL) {
  return db.select({ id: refreshTokens.accessTokenId }).from(refreshTokens).where(inFamilies(families))
}

/** The access tokens issued with a family's refresh tokens (exported for the query-plan test). */
export function familyAccessTokenIds(db: Db, familyId: number) {
  return familiesAccessTokenIds(db, sql`(${familyId})`)
}

/**
 * Revokes every token of a rotation family: all its refresh tokens and the access tokens
 * issued with them. One batch (one transaction) in D1, then the KV entries are purged.
 */
export async function revokeFamily(
  store: TokenStore,
  familyId: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  await revokeFamilies(store, sql`(${familyId})`, undefined, also)
}

/**
 * Revokes the families `families` (a value or a subquery of family ids) names, in one batch
 * (`first` before the revocation, `also` after it: e.g. the audit row of the change).
 */
async function revokeFamilies(
  store: TokenStore,
  families: SQL,
  first?: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<unknown[]> {
  const { db } = store
  const statements: [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]] = [
    db
      .delete(accessTokens)
      .where(inArray(accessTokens.id, familiesAccessTokenIds(db, families)))
      .returning({ tokenHash: accessTokens.tokenHash }),
    db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(inFamilies(families), isNull(refreshTokens.revokedAt))),
  ]
  const results = await db.batch(first ? [first, ...statements, ...also] : [...statements, ...also])
  const deleted = results[first ? 1 : 0] as { tokenHash: string }[]
  await purgeCache(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return results
}

/**
 * Revokes a refresh token of this application and, with it, its whole grant (RFC 7009 §2.1):
 * one batch that finds it and revokes its family. `facts`: conditions that must hold on the
 * primary for anything to change (the client as authenticated from a replica's row).
 */
export async function revokeRefreshToken(
  store: TokenStore,
  token: string,
  applicationId: number,
  facts?: SQL,
): Promise<boolean> {
  if (!(await store.format.isWellFormed(token, 'refresh'))) return false
  const mine = and(
    eq(refreshTokens.tokenHash, await sha256Hex(token)),
    eq(refreshTokens.applicationId, applicationId),
    facts,
  )
  const family = store.db
    .select({ familyId: sql<number>`coalesce(${refreshTokens.familyId}, ${refreshTokens.id})` })
    .from(refreshTokens)
    .where(mine)
  const [found] = await revokeFamilies(
    store,
    sql`(${family})`,
    store.db.select({ id: refreshTokens.id }).from(refreshTokens).where(mine),
  )
  return (found as unknown[]).length > 0
}

/**
 * Revokes an access token of this application (RFC 7009); false when there is none. Its
 * refresh token stays usable, as in DOT (§2.1 leaves that to the server). `facts`: as for
 * `revokeRefreshToken`.
 */
export async function revokeAccessToken(
  store: TokenStore,
  token: string,
  applicationId: number,
  facts?: SQL,
): Promise<boolean> {
  if (!(await store.format.isWellFormed(token, 'access'))) return false
  const digest = await sha256Hex(token)
  const deleted = await deleteAccessTokenRows(
    store,
    and(eq(accessTokens.tokenHash, digest), eq(accessTokens.applicationId, applicationId), facts),
  )
  return deleted > 0
}

/**
 * Revokes every token issued to the application (before it is deleted: `also`, in the same
 * batch, may delete it): its access tokens go, the refresh tokens issued with them are retired,
 * and the cache tiers forget them.
 */
export async function revokeApplicationTokens(
  store: TokenStore,
  applicationId: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  await revokeAccessTokensWhere(store, eq(accessTokens.applicationId, applicationId), also)
}

/** A live access token the user granted, as DOT's authorized-tokens views show it: never the token itself. */
export type AuthorizedToken = {
  id: number
  applicationName: string
  clientId: string
  scope: string
  expiresAt: number
}

function authorizedTokensQuery(db: Db, userId: number) {
  return db
    .select({
      id: accessTokens.id,
      applicationName: applications.name,
      clientId: applications.clientId,
      scope: accessTokens.scope,
      expiresAt: accessTokens.expiresAt,
    })
    .from(accessTokens)
    .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
    .where(and(eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds())))
    .$dynamic()
}

/** The user's live access tokens, oldest first (DOT's AuthorizedTokensListView). */
export async function listAuthorizedTokens(db: Db, userId: number): Promise<AuthorizedToken[]> {
  return authorizedTokensQuery(db, userId).orderBy(asc(accessTokens.id))
}

/** listAuthorizedTokens a page at a time (src/db/paging.ts). */
export function authorizedTokenPages(db: Db, userId: number): PagedQuery<AuthorizedToken> {
  const live = and(eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds()))
  return {
    count: db
      .select({ total: count() })
      .from(accessTokens)
      .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
      .where(live),
    rows: ({ limit, offset }) =>
      authorizedTokensQuery(db, userId).orderBy(asc(accessTokens.id)).limit(limit).offset(offset),
  }
}

/** One live access token of the user, as listAuthorizedTokens shows it (DOT's AuthorizedTokenDeleteView page). */
export async function findAuthorizedToken(
  db: Db,
  userId: number,
  tokenId: number,
): Promise<AuthorizedToken | undefined> {
  if (!Number.isSafeInteger(tokenId)) return undefined
  return authorizedTokensQuery(db, userId)
    .where(and(eq(accessTokens.id, tokenId), eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds())))
    .get()
}

/**
 * Revokes one of the user's access tokens and the refresh token issued with it (DOT's
 * AuthorizedTokenDeleteView); false when there is no such token of theirs.
 */
export async function revokeAuthorizedToken(store: TokenStore, userId: number, tokenId: number): Promise<boolean> {
  if (!Number.isSafeInteger(tokenId)) return false
  return (await revokeAccessTokensWhere(store, and(eq(accessTokens.id, tokenId), eq(accessTokens.userId, userId)))) > 0
}

/** Whose tokens a console list or revocation is about: a user's, or an application's. */
export type TokenOwner = { userId: number } | { applicationId: number }

/** A live access or refresh token as the operator console shows it: never its value or digest. */
export type LiveToken = {
  kind: 'access' | 'refresh'
  id: number
  applicationId: number
  applicationName: string
  clientId: string
  userId: number | null
  username: string | null
  scope: string
  createdAt: Date
  expiresAt: number
  /** True for a django-oauth-toolkit token brought by `manage import-django`: no prefix of ours. */
  imported: boolean | null
}

function ownedBy(owner: TokenOwner, table: typeof accessTokens | typeof refreshTokens): SQL {
  return 'userId' in owner ? eq(table.userId, owner.userId) : eq(table.applicationId, owner.applicationId)
}

/**
 * The owner's live tokens, newest first, at most `limit` of each kind: unexpired access tokens
 * and unexpired, unrevoked refresh tokens (the console's per-user and per-application lists).
 */
export async function listLiveTokens(db: Db, owner: TokenOwner, limit: number): Promise<LiveToken[]> {
  const now = nowSeconds()
  const columns = (table: typeof accessTokens | typeof refreshTokens) => ({
    id: table.id,
    applicationId: table.applicationId,
    applicationName: applications.name,
    clientId: applications.clientId,
    userId: table.userId,
    username: users.username,
    scope: table.scope,
    createdAt: table.createdAt,
    expiresAt: table.expiresAt,
    imported: table.imported,
  })
  const [access, refresh] = await db.batch([
    db
      .select(columns(accessTokens))
      .from(accessTokens)
      .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
      .leftJoin(users, eq(users.id, accessTokens.userId))
      .where(and(ownedBy(owner, accessTokens), gt(accessTokens.expiresAt, now)))
      .orderBy(desc(accessTokens.id))
      .limit(limit),
    db
      .select(columns(refreshTokens))
      .from(refreshTokens)
      .innerJoin(applications, eq(applications.id, refreshTokens.applicationId))
      .leftJoin(users, eq(users.id, refreshTokens.userId))
      .where(and(ownedBy(owner, refreshTokens), gt(refreshTokens.expiresAt, now), isNull(refreshTokens.revokedAt)))
      .orderBy(desc(refreshTokens.id))
      .limit(limit),
  ])
  return [
    ...access.map((row) => ({ kind: 'access' as const, ...row })),
    ...refresh.map((row) => ({ kind: 'refresh' as const, ...row })),
  ]
}

/**
 * Revokes one token of the owner by id: an access token with the refresh token issued with it,
 * or a refresh token with its whole rotation family (as /o/revoke_token/ does), in one batch
 * with `also`. False when the owner has no such token (then nothing is written).
 */
export async function revokeTokenById(
  store: TokenStore,
  owner: TokenOwner,
  kind: 'access' | 'refresh',
  id: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false
  if (kind === 'access') {
    const mine = and(eq(accessTokens.id, id), ownedBy(owner, accessTokens))
    const found = await store.db.select({ id: accessTokens.id }).from(accessTokens).where(mine).get()
    return found !== undefined && (await revokeAccessTokensWhere(store, mine, also)) > 0
  }
  const row = await store.db
    .select({ id: refreshTokens.id, familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.id, id), ownedBy(owner, refreshTokens), isNull(refreshTokens.revokedAt)))
    .get()
  if (!row) return false
  await revokeFamily(store, refreshTokenFamily(row), also)
  return true
}

/**
 * Revokes every OAuth token of the owner: access tokens deleted and every unrevoked refresh
 * token retired (also those whose access token is already gone), in one batch with `also`;
 * then the cache tiers forget them. Sessions and API keys are not touched. Returns how many
 * access tokens went.
 */
export async function revokeOwnerTokens(
  store: TokenStore,
  owner: TokenOwner,
  also: BatchItem<'sqlite'>[] = [],
): Promise<number> {
  const retire = store.db
    .update(refreshTokens)
    .set({ revokedAt: nowSeconds() })
    .where(and(ownedBy(owner, refreshTokens), isNull(refreshTokens.revokedAt)))
  return revokeAccessTokensWhere(store, ownedBy(owner, accessTokens), [retire, ...also])
}

/**
 * Whether the user already granted the application every one of `scopes`: a live access
 * token of theirs for it covers them all (DOT's APPROVAL_PROMPT = 'auto'), and its stored
 * audience passes `coversAudience` (RFC 8707: consent to one resource is not consent to another).
 */
export async function hasLiveGrant(
  db: Db,
  userId: number,
  applicationId: number,
  scopes: string[],
  coversAudience: (audience: string | null) => boolean,
): Promise<boolean> {
  const rows = await liveGrantQuery(db, userId, applicationId)
  return rows.some((row) => {
    const granted = parseScope(row.scope)
    return scopes.every((scope) => granted.includes(scope)) && coversAudience(row.audience)
  })
}

/** The scopes and audiences of the user's live access tokens for the application (exported for the query-plan test). */
export function liveGrantQuery(db: Db, userId: number, applicationId: number) {
  return db
    .select({ scope: accessTokens.scope, audience: accessTokens.audience })
    .from(accessTokens)
    .where(
      and(
        eq(accessTokens.userId, userId),
        eq(accessTokens.applicationId, applicationId),
        gt(accessTokens.expiresAt, nowSeconds()),
      ),
    )
}

/**
 * Deletes the access tokens matching `where` and retires the refresh tokens issued with
 * them (one batch, with `also` after them), then purges their KV entries. Returns how many
 * access tokens went.
 */
async function revokeAccessTokensWhere(
  store: TokenStore,
  where: SQL | undefined,
  also: BatchItem<'sqlite'>[] = [],
): Promise<number> {
  // drizzle reads a missing condition as every row: never here.
  if (where === undefined) return 0
  const matching = store.db.select({ id: accessTokens.id }).from(accessTokens).where(where)
  const [, deleted] = await store.db.batch([
    store.db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(inArray(refreshTokens.accessTokenId, matching), isNull(refreshTokens.revokedAt))),
    store.db.delete(accessTokens).where(where).returning({ tokenHash: accessTokens.tokenHash }),
    ...also,
  ])
  await purgeCache(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return deleted.length
}

/** Deletes access tokens without touching refresh tokens, then purges their KV entries. */
async function deleteAccessTokenRows(store: TokenStore, where: SQL | undefined): Promise<number> {
  if (where === undefined) return 0
  const deleted = await store.db.delete(accessTokens).where(where).returning({ tokenHash: accessTokens.tokenHash })
  await purgeCache(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return deleted.length
}

/**
 * A user was deactivated: `change` (the statement that deactivates them) runs in one D1
 * transaction with the read of their live access tokens' and API key's digests, which are
 * then forgotten in every cache tier. The D1 rows stay: every lookup that reaches D1 checks
 * the user is active, so reactivation restores them (as DOT's validator checks is_active).
 */
export async function forgetUserTokens(
  store: TokenStore,
  userId: number,
  change: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  const [access, keys] = await store.db.batch([
    store.db
      .select({ tokenHash: accessTokens.tokenHash })
      .from(accessTokens)
      .where(and(eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds()))),
    userApiKeyDigests(store.db, userId),
    change,
    ...also,
  ])
  await purgeUserCache(store, access, keys)
}

/**
 * A user is deleted: `deletion` runs in one D1 transaction with the read of every digest its
 * cascade removes (the user's access tokens and API key, and the access tokens of the
 * applications the user owns, whoever they were issued to), then those go from every cache
 * tier. Read and delete together, so no token issued in between escapes the purge.
 */
export async function forgetDeletedUserTokens(
  store: TokenStore,
  userId: number,
  deletion: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  const owned = store.db.select({ id: applications.id }).from(applications).where(eq(applications.userId, userId))
  const [access, keys] = await store.db.batch([
    store.db
      .select({ tokenHash: accessTokens.tokenHash })
      .from(accessTokens)
      .where(
        and(
          or(eq(accessTokens.userId, userId), inArray(accessTokens.applicationId, owned)),
          gt(accessTokens.expiresAt, nowSeconds()),
        ),
      ),
    userApiKeyDigests(store.db, userId),
    deletion,
    ...also,
  ])
  await purgeUserCache(store, access, keys)
}

/**
 * Revokes every OAuth token of the user (access tokens deleted, refresh tokens retired) and
 * their API keys, in one D1 transaction with `change` when given (a password change), then
 * purges them from every cache tier: whoever knew the old password and minted a credential
 * loses it. Without `change`: `manage revoketokens --user`.
 */
export async function revokeUserTokens(
  store: TokenStore,
  userId: number,
  change?: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  const revocations = [
    store.db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt))),
    store.db
      .delete(accessTokens)
      .where(eq(accessTokens.userId, userId))
      .returning({ tokenHash: accessTokens.tokenHash }),
    deleteUserApiKeys(store.db, userId),
  ] as const
  if (change) {
    const [, , access, keys] = await store.db.batch([change, ...revocations, ...also])
    await purgeUserCache(store, access, keys)
    return
  }
  const [, access, keys] = await store.db.batch([...revocations, ...also])
  await purgeUserCache(store, access, keys)
}

async function purgeUserCache(
  store: TokenStore,
  access: { tokenHash: string }[],
  keys: { keyHash: string }[],
): Promise<void> {
  await Promise.all([
    purgeCache(
      store,
      access.map((row) => row.tokenHash),
    ),
    forgetApiKeys(store, keys),
  ])
}

// Revocation is D1 first, then the cache tiers: the revoking location sees it at once, other
// locations within KV's propagation delay (up to ~60 s) plus TOKEN_MEMORY_CACHE_SECONDS.
async function purgeCache(store: TokenStore, digests: string[]): Promise<void> {
  await Promise.all(digests.map((digest) => forgetCached(store, accessTokenCacheKey(digest))))
}
