/**
 * @module
 * What a user or an operator sees of the token tables, never a token or its digest: the
 * user's authorized tokens (DOT's authorized-tokens views), an owner's live tokens and every
 * token filtered and sorted (the console), and whether the user already granted an application
 * some scopes (consent).
 */
import { and, asc, count, desc, eq, gt, isNotNull, isNull, lte, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { type Order, type Orders, orderTerms } from '../db/ordering.ts'
import type { PagedQuery } from '../db/paging.ts'
import { accessTokens, applications, refreshTokens, users } from '../db/schema.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'

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

/** The rows of `table` that belong to the owner. */
export function ownedBy(owner: TokenOwner, table: typeof accessTokens | typeof refreshTokens): SQL {
  return 'userId' in owner ? eq(table.userId, owner.userId) : eq(table.applicationId, owner.applicationId)
}

type TokenTable = typeof accessTokens | typeof refreshTokens

/** What the console shows of a token's row (LiveToken without its kind). */
function columns(table: TokenTable) {
  return {
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
  }
}

/**
 * The owner's live tokens, newest first, at most `limit` of each kind: unexpired access tokens
 * and unexpired, unrevoked refresh tokens (the console's per-user and per-application lists).
 */
export async function listLiveTokens(db: Db, owner: TokenOwner, limit: number): Promise<LiveToken[]> {
  const now = nowSeconds()
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

export type TokenKind = LiveToken['kind']

/** A token's state: unexpired (and for a refresh token, unrevoked), expired, or (refresh tokens only) revoked. */
export const TOKEN_STATES = ['live', 'expired', 'revoked'] as const
type TokenState = (typeof TOKEN_STATES)[number]

/** The console's token list: one kind, narrowed by any of its filters (absent: not applied). */
export type TokenFilters = {
  kind: TokenKind
  userId?: number
  applicationId?: number
  state?: TokenState
  /** One scope-token (RFC 6749 §3.3) the token's scope includes. */
  scope?: string
  /** Unexpired, and expiring within this many seconds. */
  expiresWithin?: number
}

/** A token as the console's token list shows it: its state besides what LiveToken says. */
export type TokenListing = LiveToken & { revokedAt: number | null }

const tableOf = (kind: TokenKind): TokenTable => (kind === 'access' ? accessTokens : refreshTokens)

/** The token list's orders (`?o=`): by id (its creation), newest first by default, or by expiry; both index-backed. */
export function tokenOrders(kind: TokenKind): Orders<'id' | 'expires'> {
  const table = tableOf(kind)
  return {
    columns: { id: table.id, expires: table.expiresAt },
    id: table.id,
    fallback: { key: 'id', descending: true },
  }
}

function tokenConditions(filters: TokenFilters, now: number): SQL | undefined {
  const table = tableOf(filters.kind)
  const clauses: (SQL | undefined)[] = [
    filters.userId === undefined ? undefined : eq(table.userId, filters.userId),
    filters.applicationId === undefined ? undefined : eq(table.applicationId, filters.applicationId),
    // A whole word of the space-separated scope, not a substring ("read" is not in "readonly").
    filters.scope === undefined ? undefined : sql`instr(' ' || ${table.scope} || ' ', ${` ${filters.scope} `}) > 0`,
  ]
  if (filters.expiresWithin !== undefined) {
    clauses.push(gt(table.expiresAt, now), lte(table.expiresAt, now + filters.expiresWithin))
  }
  const revokedAt = 'revokedAt' in table ? table.revokedAt : undefined
  if (filters.state === 'live') clauses.push(gt(table.expiresAt, now), revokedAt && isNull(revokedAt))
  if (filters.state === 'expired') clauses.push(lte(table.expiresAt, now))
  // Access tokens are deleted when revoked: none is ever listed as revoked.
  if (filters.state === 'revoked') clauses.push(revokedAt ? isNotNull(revokedAt) : sql`0`)
  return and(...clauses)
}

/**
 * Every token of one kind, across users and applications, filtered and in `order` (the
 * console's token list), a page at a time (src/db/paging.ts): never a value or a digest.
 */
export function tokenList(db: Db, filters: TokenFilters, order: Order<'id' | 'expires'>): PagedQuery<TokenListing> {
  const table = tableOf(filters.kind)
  const where = tokenConditions(filters, nowSeconds())
  const revokedAt = 'revokedAt' in table ? table.revokedAt : sql<null>`NULL`
  return {
    count: db.select({ total: count() }).from(table).where(where),
    rows: ({ limit, offset }) =>
      db
        .select({ kind: sql<TokenKind>`${filters.kind}`, ...columns(table), revokedAt })
        .from(table)
        .innerJoin(applications, eq(applications.id, table.applicationId))
        .leftJoin(users, eq(users.id, table.userId))
        .where(where)
        .orderBy(...orderTerms(tokenOrders(filters.kind), order))
        .limit(limit)
        .offset(offset),
  }
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

/**
 * The scopes and audiences of the user's live access tokens for the application.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
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
