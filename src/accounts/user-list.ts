/**
 * @module
 * The users list (DRF's ListAPIView with PageNumberPagination and django-filter's exact
 * `filterset_fields = ('email', 'username')`): one page and the total in two indexed queries
 * (src/db/paging.ts).
 * The unfiltered total comes from the trigger-kept `row_counts` row, not `count(*)`, which
 * would read every user's index entry on every request.
 */
import { and, asc, count, eq, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { type Order, type Orders, orderTerms } from '../db/ordering.ts'
import { type PagedQuery, type PageRequest, readPage } from '../db/paging.ts'
import { rowCounts, type User, users } from '../db/schema.ts'
import { contains } from '../db/search.ts'

export type UserFilters = { email?: string; username?: string }

/** django-filter: an empty value means the filter is not applied. */
function conditions(filters: UserFilters): SQL | undefined {
  const clauses: SQL[] = []
  if (filters.email) clauses.push(eq(users.email, filters.email))
  if (filters.username) clauses.push(eq(users.username, filters.username))
  return and(...clauses)
}

/**
 * The two statements behind a page.
 * @internal Exported for tests: the query-plan test explains these exact statements.
 */
export function userListQueries(db: Db, filters: UserFilters): PagedQuery<User> {
  const where = conditions(filters)
  return {
    count: where
      ? db.select({ total: count() }).from(users).where(where)
      : db.select({ total: rowCounts.count }).from(rowCounts).where(eq(rowCounts.name, 'users')),
    rows: ({ limit, offset }) =>
      db.select().from(users).where(where).orderBy(asc(users.id)).limit(limit).offset(offset),
  }
}

/** One page of users in id order, or null when the page does not exist (src/db/paging.ts). */
export function listUsers(db: Db, filters: UserFilters, request: PageRequest, pageSize: number) {
  return readPage(db, userListQueries(db, filters), request, pageSize)
}

export type UserOrderKey = 'username' | 'email' | 'joined'

/**
 * The console's orders of the users list (`?o=`), each on an index: by username (Django
 * admin's UserAdmin.ordering, the default), email or date joined.
 */
export const USER_ORDERS: Orders<UserOrderKey> = {
  columns: { username: users.username, email: users.email, joined: users.dateJoined },
  id: users.id,
  fallback: { key: 'username', descending: false },
}

/**
 * The operator console's search box (Django admin's `search_fields = ('username', 'email')`):
 * users whose username or email contains `query` (case-insensitive for ASCII, src/db/search.ts),
 * in `order`, a page at a time. An empty query lists everyone.
 */
export function userSearch(db: Db, query: string, order: Order<UserOrderKey> = USER_ORDERS.fallback): PagedQuery<User> {
  const where = query ? or(contains(users.username, query), contains(users.email, query)) : undefined
  return {
    count: db.select({ total: count() }).from(users).where(where),
    rows: ({ limit, offset }) =>
      db
        .select()
        .from(users)
        .where(where)
        .orderBy(...orderTerms(USER_ORDERS, order))
        .limit(limit)
        .offset(offset),
  }
}
