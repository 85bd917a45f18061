/**
 * @module
 * What a user or an operator sees of the token tables, never a token or its digest: the
 * user's authorized tokens (DOT's authorized-tokens views), an owner's live tokens and every
 * token filtered and sorted (the console), and whether the user already granted an application
 * some scopes (consent). Each reads every token database at once (./shards.ts) and merges the
 * rows; the names shown (application, client_id, username) come from the main database. A token
 * is named by the number ./shards.ts `publicTokenId` makes of its shard and row.
 */
import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, lte, type SQL, sql } from 'drizzle-orm'
import type { RunnableQuery } from 'drizzle-orm/runnable-query'
import type { Db } from '../db/client.ts'
import { type Order, type Orders, orderTerms } from '../db/ordering.ts'
import type { Page, PageRequest } from '../db/paging.ts'
import { accessTokens, applications, refreshTokens, users } from '../db/schema.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'
import { parseTokenId, publicTokenId, type TokenDb } from './shards.ts'
import type { TokenStore } from './store.ts'

/** A live access token the user granted, as DOT's authorized-tokens views show it: never the token itself. */
export type AuthorizedToken = {
  /** ./shards.ts `publicTokenId`: the shard and the row. */
  id: number
  applicationName: string
  clientId: string
  scope: string
  expiresAt: number
}

type ShardRow = { shard: number; id: number; createdAt: Date }

/** Oldest first over every shard: by creation, then shard and row. */
const oldestFirst = (a: ShardRow, b: ShardRow) =>
  a.createdAt.getTime() - b.createdAt.getTime() || a.shard - b.shard || a.id - b.id

/** Runs `query` on every token database's primary at once; every row tagged with its shard. */
async function fromEveryShard<Row>(
  store: TokenStore,
  query: (db: Db) => PromiseLike<Row[]>,
  read: (where: TokenDb) => Db = (where) => where.db,
): Promise<(Row & { shard: number })[]> {
  const perShard = await Promise.all(
    store.shards.all().map(async (where) => (await query(read(where))).map((row) => ({ ...row, shard: where.shard }))),
  )
  return perShard.flat()
}

/** Names of the applications `ids`, from the main database's primary. */
async function applicationNames(db: Db, ids: number[]) {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map<number, { name: string; clientId: string }>()
  const rows = await db
    .select({ id: applications.id, name: applications.name, clientId: applications.clientId })
    .from(applications)
    .where(inArray(applications.id, unique))
  return new Map(rows.map((row) => [row.id, row]))
}

function liveAccessTokensOf(userId: number) {
  return and(eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds()))
}

function authorizedTokensQuery(db: Db, userId: number, where?: SQL) {
  return db
    .select({
      id: accessTokens.id,
      applicationId: accessTokens.applicationId,
      scope: accessTokens.scope,
      expiresAt: accessTokens.expiresAt,
      createdAt: accessTokens.createdAt,
    })
    .from(accessTokens)
    .where(and(liveAccessTokensOf(userId), where))
    .orderBy(asc(accessTokens.createdAt), asc(accessTokens.id))
    .$dynamic()
}

/** The user's live access tokens, oldest first (DOT's AuthorizedTokensListView). */
export async function listAuthorizedTokens(store: TokenStore, userId: number): Promise<AuthorizedToken[]> {
  const rows = await fromEveryShard(store, (db) => authorizedTokensQuery(db, userId))
  return named(store, rows.sort(oldestFirst))
}

/**
 * One token database's share of a list read a page at a time: its total, and its first `limit`
 * rows in the list's order (the order `compare` merges them in, with the shard last).
 */
type ShardPagedQuery<Row> = {
  count: (db: Db) => ReturnType<typeof countOf>
  upTo: (db: Db, limit: number) => Statement<Row[]>
}

/** A statement a batch can run, or that runs alone when awaited. */
type Statement<R> = RunnableQuery<R, 'sqlite'> & PromiseLike<R>

function countOf(db: Db, table: typeof accessTokens | typeof refreshTokens, where: SQL | undefined) {
  return db.select({ total: count() }).from(table).where(where)
}

/**
 * Page `request` of a list over every token database, `pageSize` rows a page, as
 * src/db/paging.ts `readPage` reads one database (null: no such page). Each shard reads its total
 * and its first `page × pageSize` rows in one batch, all shards at once: those rows hold the page,
 * whichever shards its rows are in. `last` needs the totals before it knows the page (two round
 * trips, as readPage).
 */
async function pageOfEveryShard<Row>(
  store: TokenStore,
  query: ShardPagedQuery<Row>,
  compare: (a: Row & { shard: number }, b: Row & { shard: number }) => number,
  request: PageRequest,
  pageSize: number,
): Promise<Page<Row & { shard: number }> | null> {
  const pages = (total: number) => Math.max(1, Math.ceil(total / pageSize))
  const upTo = (db: Db, page: number) => query.upTo(db, Math.min(page * pageSize, Number.MAX_SAFE_INTEGER))
  const shards = store.shards.all()
  let total: number
  let page: number
  let rows: (Row & { shard: number })[]
  if (request === 'last') {
    const totals = await Promise.all(shards.map(async (where) => (await query.count(where.db))[0].total))
    total = totals.reduce((sum, n) => sum + n, 0)
    page = pages(total)
    rows = await fromEveryShard(store, (db) => upTo(db, page))
  } else {
    const perShard = await Promise.all(
      shards.map(async (where) => {
        const [[{ total }], rows] = await where.db.batch([query.count(where.db), upTo(where.db, request)])
        return { total, rows: rows.map((row) => ({ ...row, shard: where.shard })) }
      }),
    )
    total = perShard.reduce((sum, shard) => sum + shard.total, 0)
    if (request > pages(total)) return null
    page = request
    rows = perShard.flatMap((shard) => shard.rows)
  }
  rows.sort(compare)
  return { count: total, page, pageCount: pages(total), rows: rows.slice((page - 1) * pageSize, page * pageSize) }
}

/** Page `request` of listAuthorizedTokens, `pageSize` rows a page (null: no such page). */
export async function authorizedTokenPage(
  store: TokenStore,
  userId: number,
  request: PageRequest,
  pageSize: number,
): Promise<Page<AuthorizedToken> | null> {
  const query = {
    count: (db: Db) => countOf(db, accessTokens, liveAccessTokensOf(userId)),
    upTo: (db: Db, limit: number) => authorizedTokensQuery(db, userId).limit(limit),
  }
  const page = await pageOfEveryShard(store, query, oldestFirst, request, pageSize)
  return page && { ...page, rows: await named(store, page.rows) }
}

async function named(
  store: TokenStore,
  rows: { shard: number; id: number; applicationId: number; scope: string; expiresAt: number }[],
): Promise<AuthorizedToken[]> {
  const names = await applicationNames(
    store.db,
    rows.map((row) => row.applicationId),
  )
  // A token whose application is gone is being deleted with it.
  return rows.flatMap((row) => {
    const application = names.get(row.applicationId)
    return application
      ? [
          {
            id: publicTokenId(row.shard, row.id),
            applicationName: application.name,
            clientId: application.clientId,
            scope: row.scope,
            expiresAt: row.expiresAt,
          },
        ]
      : []
  })
}

/** One live access token of the user, as listAuthorizedTokens shows it (DOT's AuthorizedTokenDeleteView page). */
export async function findAuthorizedToken(
  store: TokenStore,
  userId: number,
  tokenId: number,
): Promise<AuthorizedToken | undefined> {
  const named_ = parseTokenId(tokenId)
  const where = named_ && store.shards.get(named_.shard)
  if (!named_ || !where) return undefined
  const row = await authorizedTokensQuery(where.db, userId, eq(accessTokens.id, named_.id)).get()
  return row ? (await named(store, [{ ...row, shard: where.shard }]))[0] : undefined
}

/** Whose tokens a console list or revocation is about: a user's, or an application's. */
export type TokenOwner = { userId: number } | { applicationId: number }

/** A live access or refresh token as the operator console shows it: never its value or digest. */
export type LiveToken = {
  kind: 'access' | 'refresh'
  /** ./shards.ts `publicTokenId`: the shard and the row. */
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

/** What the console shows of a token's row, as its token database holds it (LiveToken without its kind and names). */
function columns(table: TokenTable) {
  return {
    id: table.id,
    applicationId: table.applicationId,
    userId: table.userId,
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
export async function listLiveTokens(store: TokenStore, owner: TokenOwner, limit: number): Promise<LiveToken[]> {
  const now = nowSeconds()
  const perShard = await fromEveryShard(store, async (db) => {
    const [access, refresh] = await db.batch([
      db
        .select(columns(accessTokens))
        .from(accessTokens)
        .where(and(ownedBy(owner, accessTokens), gt(accessTokens.expiresAt, now)))
        .orderBy(desc(accessTokens.createdAt), desc(accessTokens.id))
        .limit(limit),
      db
        .select(columns(refreshTokens))
        .from(refreshTokens)
        .where(and(ownedBy(owner, refreshTokens), gt(refreshTokens.expiresAt, now), isNull(refreshTokens.revokedAt)))
        .orderBy(desc(refreshTokens.createdAt), desc(refreshTokens.id))
        .limit(limit),
    ])
    return [
      ...access.map((row) => ({ kind: 'access' as const, ...row })),
      ...refresh.map((row) => ({ kind: 'refresh' as const, ...row })),
    ]
  })
  const newest = (kind: LiveToken['kind']) =>
    perShard
      .filter((row) => row.kind === kind)
      .sort((a, b) => oldestFirst(b, a))
      .slice(0, limit)
  return withNames(store, [...newest('access'), ...newest('refresh')])
}

/**
 * Token rows of any shard as the console shows them: named by `publicTokenId`, with their
 * application's name and client_id and their user's username from the main database. A token
 * whose application is gone is being deleted with it: left out.
 */
async function withNames<Row extends { shard: number; id: number; applicationId: number; userId: number | null }>(
  store: TokenStore,
  rows: Row[],
): Promise<
  (Omit<Row, 'shard' | 'id'> & { id: number; applicationName: string; clientId: string; username: string | null })[]
> {
  const userIds = [...new Set(rows.flatMap((row) => (row.userId === null ? [] : [row.userId])))]
  const [names, usernames] = await Promise.all([
    applicationNames(
      store.db,
      rows.map((row) => row.applicationId),
    ),
    userIds.length === 0
      ? []
      : store.db.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, userIds)),
  ])
  const username = new Map(usernames.map((row) => [row.id, row.username]))
  return rows.flatMap(({ shard, id, ...row }) => {
    const application = names.get(row.applicationId)
    if (!application) return []
    return [
      {
        ...row,
        id: publicTokenId(shard, id),
        applicationName: application.name,
        clientId: application.clientId,
        username: row.userId === null ? null : (username.get(row.userId) ?? null),
      },
    ]
  })
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

type TokenOrderKey = 'id' | 'expires'

const tableOf = (kind: TokenKind): TokenTable => (kind === 'access' ? accessTokens : refreshTokens)

/**
 * The token list's orders (`?o=`): by id, newest first by default, or by expiry; both index-backed
 * in each shard. Across shards, the id is the one shown (./shards.ts `publicTokenId`: the row,
 * then the shard), and rows that expire together follow it.
 */
export function tokenOrders(kind: TokenKind): Orders<TokenOrderKey> {
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
 * One token database's share of the console's token list: its total, and its first rows in
 * `order` (the id, or the expiry then the id).
 * @internal Exported for tests: the query-plan test explains these statements.
 */
export function tokenListQueries(filters: TokenFilters, order: Order<TokenOrderKey>) {
  const table = tableOf(filters.kind)
  const where = tokenConditions(filters, nowSeconds())
  const revokedAt = 'revokedAt' in table ? table.revokedAt : sql<null>`NULL`
  return {
    count: (db: Db) => countOf(db, table, where),
    upTo: (db: Db, limit: number) =>
      db
        .select({ ...columns(table), revokedAt })
        .from(table)
        .where(where)
        .orderBy(...orderTerms(tokenOrders(filters.kind), order))
        .limit(limit),
  }
}

/** `order` over rows of every shard: as each shard's ORDER BY, then by shard (the shown id's last digits). */
function tokenComparison(order: Order<TokenOrderKey>) {
  const sign = order.descending ? -1 : 1
  return (a: { shard: number; id: number; expiresAt: number }, b: { shard: number; id: number; expiresAt: number }) =>
    sign * ((order.key === 'expires' ? a.expiresAt - b.expiresAt : 0) || a.id - b.id || a.shard - b.shard)
}

/**
 * Page `request` of every token of one kind, across users, applications and token databases,
 * filtered and in `order` (the console's token list), `pageSize` rows a page (null: no such
 * page): never a value or a digest.
 */
export async function tokenListPage(
  store: TokenStore,
  filters: TokenFilters,
  order: Order<TokenOrderKey>,
  request: PageRequest,
  pageSize: number,
): Promise<Page<TokenListing> | null> {
  const page = await pageOfEveryShard(
    store,
    tokenListQueries(filters, order),
    tokenComparison(order),
    request,
    pageSize,
  )
  if (!page) return null
  const rows = await withNames(store, page.rows)
  return { ...page, rows: rows.map((row) => ({ kind: filters.kind, ...row })) }
}

/**
 * Whether the user already granted the application every one of `scopes`: a live access
 * token of theirs for it, in any shard, covers them all (DOT's APPROVAL_PROMPT = 'auto'), and
 * its stored audience passes `coversAudience` (RFC 8707: consent to one resource is not consent
 * to another). With `replica`, each shard's replica answers (a page that re-checks before it mints).
 */
export async function hasLiveGrant(
  store: TokenStore,
  replica: boolean,
  userId: number,
  applicationId: number,
  scopes: string[],
  coversAudience: (audience: string | null) => boolean,
): Promise<boolean> {
  const rows = await fromEveryShard(
    store,
    (db) => liveGrantQuery(db, userId, applicationId),
    (where) => (replica ? where.read() : where.db),
  )
  return rows.some((row) => {
    const granted = parseScope(row.scope)
    return scopes.every((scope) => granted.includes(scope)) && coversAudience(row.audience)
  })
}

/**
 * The scopes and audiences of the user's live access tokens for the application, in one shard.
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
