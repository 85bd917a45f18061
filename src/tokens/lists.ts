/**
 * @module
 * What a user or an operator sees of the token tables, never a token or its digest: the
 * user's authorized tokens (DOT's authorized-tokens views), an owner's live tokens (the
 * console), and whether the user already granted an application some scopes (consent).
 */
import { and, asc, count, desc, eq, gt, isNull, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
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
