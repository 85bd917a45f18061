/**
 * @module
 * Reading the console's requests: page numbers, path ids, the objects they name, form values,
 * and the answers every console handler shares (404 page, 403 page, redirect after a POST).
 */
import type { Context } from 'hono'
import { parsePage } from '../accounts/user-list.ts'
import { findUserById } from '../accounts/users.ts'
import type { User } from '../db/schema.ts'
import { html, renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { parsePk, queryParams, type RawParams, single } from '../lib/forms.ts'
import { db } from '../lib/request-context.ts'
import { findApplicationById } from '../oauth/applications.ts'
import type { StaffEnv } from '../types.ts'
import { ErrorPage } from '../views/error.tsx'

/** Rows per list page (Django admin's list_per_page is 100; console pages stay short on a phone). */
export const PAGE_SIZE = 25

/** `?page=`: absent → 1, a positive integer, else null (the page does not exist: 404). */
export function requestedPage(c: Context): number | null {
  const page = parsePage(single(queryParams(c), 'page'))
  return typeof page === 'number' ? page : null
}

/** A query parameter sent once, else ''. */
export function queryText(c: Context, name: string): string {
  return (single(queryParams(c), name) ?? '').trim()
}

export function notFound(c: Context) {
  return html.notFound(c)
}

/** 403: the staff user may not do this (see mayManage). */
export function forbidden(c: Context, description: string) {
  return renderPage(
    c,
    <ErrorPage title="Forbidden" error="permission_denied" description={description} />,
    403,
    NO_STORE_HEADERS,
  )
}

/** Post/redirect/get: back to `path`, with a notice code the page turns into words. */
export function redirectAfterPost(c: Context, path: string, notice?: string) {
  const location = notice ? `${path}?${new URLSearchParams({ notice })}` : path
  return c.body(null, 303, { Location: location, ...NO_STORE_HEADERS })
}

/** The user named by the path's `:id`, or undefined (404). */
export async function pathUser(c: Context<StaffEnv>): Promise<User | undefined> {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findUserById(db(c), id)
}

/** The application named by the path's `:id`, or undefined (404). */
export async function pathApplication(c: Context<StaffEnv>) {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findApplicationById(db(c), id)
}

/** Whether a checkbox was ticked. */
export function checked(form: RawParams, name: string): boolean {
  return single(form, name) !== undefined
}
