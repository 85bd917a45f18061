/**
 * @module
 * One page of a list, as Django's Paginator serves it to a ListView and to DRF's
 * PageNumberPagination: `?page=` absent is 1; a positive integer or `last`; anything else, and a
 * page past the end, does not exist (the caller's 404). The first page always exists, empty for
 * an empty list (allow_empty_first_page). The total and the page's rows are read in one D1 batch:
 * one round trip, one snapshot.
 */
import type { Query } from 'drizzle-orm'
import type { RunnableQuery } from 'drizzle-orm/runnable-query'
import type { Db } from './client.ts'

/** The page asked for: a positive page number, or DRF's `last`. */
export type PageRequest = number | 'last'

// DRF's PageNumberPagination.last_page_strings.
const LAST_PAGE = 'last'

/** `?page=` as Django and DRF read it: absent → 1; a positive integer or `last`; anything else → null (no such page). */
export function parsePage(value: string | undefined): PageRequest | null {
  if (value === undefined) return 1
  if (value === LAST_PAGE) return LAST_PAGE
  if (!/^\d+$/.test(value)) return null
  const page = Number(value)
  return Number.isSafeInteger(page) && page >= 1 ? page : null
}

/** A run of rows: SQL's LIMIT and OFFSET. */
type Slice = { limit: number; offset: number }

/** A drizzle statement that a batch can run, or that runs alone when awaited (its SQL for query plans). */
type Statement<R> = RunnableQuery<R, 'sqlite'> & PromiseLike<R> & { toSQL(): Query }

/** A list's two statements: its total, and a slice of its rows in the list's order. */
export type PagedQuery<T> = {
  count: Statement<{ total: number }[]>
  rows: (slice: Slice) => Statement<T[]>
}

export type Page<T> = { count: number; page: number; pageCount: number; rows: T[] }

/**
 * Page `request` of `query`, `pageSize` rows a page, or null when there is no such page. A
 * numbered page reads its total and rows in one batch; `last` needs the total before it knows
 * its offset (two statements either way).
 */
export async function readPage<T>(
  db: Db,
  query: PagedQuery<T>,
  request: PageRequest,
  pageSize: number,
): Promise<Page<T> | null> {
  const pages = (total: number) => Math.max(1, Math.ceil(total / pageSize))
  const slice = (page: number) => query.rows({ limit: pageSize, offset: (page - 1) * pageSize })
  if (request === LAST_PAGE) {
    const [{ total }] = await query.count
    const page = pages(total)
    return { count: total, page, pageCount: page, rows: await slice(page) }
  }
  const [[{ total }], rows] = await db.batch([query.count, slice(request)])
  if (request > pages(total)) return null
  return { count: total, page: request, pageCount: pages(total), rows }
}
