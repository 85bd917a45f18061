/**
 * @module
 * The users list (DRF's ListAPIView with PageNumberPagination and django-filter's exact
 * `filterset_fields = ('email', 'username')`): one page and the total in two indexed queries.
 * The unfiltered total comes from the trigger-kept `row_counts` row, not `count(*)`, which
 * would read every user's index entry on every request.
 */
import { and, asc, count, eq, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { rowCounts, type User, users } from '../db/schema.ts'
import { contains } from '../db/search.ts'

export type UserFilters = { email?: string; username?: string }

/** The page to show: a positive page number, or DRF's `last`. */
export type PageRequest = number | 'last'

export type UserPage = { count: number; page: number; pageCount: number; users: User[] }

// DRF's PageNumberPagination.last_page_strings.
const LAST_PAGE = 'last'

/** `?page=` as DRF reads it: absent → 1; a positive integer or `last`; anything else → null (Invalid page). */
export function parsePage(value: string | undefined): PageRequest | null {
  if (value === undefined) return 1
  if (value === LAST_PAGE) return LAST_PAGE
  if (!/^\d+$/.test(value)) return null
  const page = Number(value)
  return Number.isSafeInteger(page) && page >= 1 ? page : null
}

/** django-filter: an empty value means the filter is not applied. */
function conditions(filters: UserFilters): SQL | undefined {
  const clauses: SQL[] = []
  if (filters.email) clauses.push(eq(users.email, filters.email))
  if (filters.username) clauses.push(eq(users.username, filters.username))
  return and(...clauses)
}

/**
 * The two statements behind a page: exported so a test can check their query plans use indexes.
 * @internal Exported for tests: the query-plan test explains these exact statements.
 */
export function userListQueries(db: Db, filters: UserFilters, page: number, pageSize: number) {
  const where = conditions(filters)
  return [
    where
      ? db.select({ total: count() }).from(users).where(where)
      : db.select({ total: rowCounts.count }).from(rowCounts).where(eq(rowCounts.name, 'users')),
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
  ] as const
}

/**
 * One page of users in id order, or null when the page does not exist. Django's Paginator allows
 * an empty first page, so page 1 of no users is a page. Two D1 statements either way: a numbered
 * page runs count and page in one batch; `last` needs the count before it knows the offset.
 */
export async function listUsers(
  db: Db,
  filters: UserFilters,
  request: PageRequest,
  pageSize: number,
): Promise<UserPage | null> {
  const pages = (total: number) => Math.max(1, Math.ceil(total / pageSize))
  if (request === LAST_PAGE) {
    const [countQuery] = userListQueries(db, filters, 1, pageSize)
    const [{ total }] = await countQuery
    const page = pages(total)
    const rows = await userListQueries(db, filters, page, pageSize)[1]
    return { count: total, page, pageCount: page, users: rows }
  }
  // One batch: both statements in one round trip, read from the same snapshot.
  const [[{ total }], rows] = await db.batch(userListQueries(db, filters, request, pageSize))
  if (request > pages(total)) return null
  return { count: total, page: request, pageCount: pages(total), users: rows }
}

/**
 * The operator console's search box (Django admin's `search_fields = ('username', 'email')`):
 * users whose username or email contains `query` (case-insensitive for ASCII, src/db/search.ts),
 * one page in id order, or null when the page does not exist. An empty query lists everyone.
 */
export async function searchUsers(db: Db, query: string, page: number, pageSize: number): Promise<UserPage | null> {
  const where = query ? or(contains(users.username, query), contains(users.email, query)) : undefined
  const [[{ total }], rows] = await db.batch([
    db.select({ total: count() }).from(users).where(where),
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
  ])
  const pageCount = Math.max(1, Math.ceil(total / pageSize))
  if (page > pageCount) return null
  return { count: total, page, pageCount, users: rows }
}
