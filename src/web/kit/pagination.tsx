/**
 * @module
 * A list a page at a time: `?page=` read as Django's ListView reads it (src/db/paging.ts) — a
 * positive number or `last`; anything else, or a page past the end, is the caller's 404 page,
 * the first page always exists — and the links between the pages, none when all fits on one.
 */
import type { Context } from 'hono'
import type { Db } from '../../db/client.ts'
import { type Page, type PagedQuery, type PageRequest, parsePage, readPage } from '../../db/paging.ts'
import { queryParams, single } from '../../lib/forms.ts'

/** The page `?page=` asks for, or null when it names none (404). */
export function requestedPage(c: Context): PageRequest | null {
  return parsePage(single(queryParams(c), 'page'))
}

/** The page `?page=` asks for, `pageSize` rows a page, or null when there is no such page (404). */
export async function listPage<T>(c: Context, db: Db, query: PagedQuery<T>, pageSize: number): Promise<Page<T> | null> {
  const request = requestedPage(c)
  return request === null ? null : readPage(db, query, request, pageSize)
}

/** "Page 2 of 5" between Previous and Next, the links keeping the list's other parameters (`params`). */
export function Pagination(props: { path: string; params?: Record<string, string>; page: number; pageCount: number }) {
  if (props.pageCount <= 1) return null
  const href = (page: number) => `${props.path}?${new URLSearchParams({ ...props.params, page: String(page) })}`
  return (
    <nav class="pagination" aria-label="Pages">
      {props.page > 1 ? <a href={href(props.page - 1)}>← Previous</a> : <span />}
      <span class="muted">
        Page {props.page} of {props.pageCount}
      </span>
      {props.page < props.pageCount ? <a href={href(props.page + 1)}>Next →</a> : <span />}
    </nav>
  )
}
