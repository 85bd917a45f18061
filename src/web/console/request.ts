/**
 * @module
 * Reading the console's requests: the objects a path names, its query text and search box, and
 * which users a staff member may change — the accounts rule of src/accounts/rights.ts (superusers anyone,
 * other staff ordinary users only), answered as the console's 404 or 403 page.
 */
import type { Context } from 'hono'
import { type ApplicationAct, enterpriseRefusal, MAY_NOT_MANAGE, mayManageUser } from '../../accounts/rights.ts'
import { findUserById } from '../../accounts/users.ts'
import type { Db } from '../../db/client.ts'
import { type Order, type Orders, parseOrder } from '../../db/ordering.ts'
import type { Page, PagedQuery } from '../../db/paging.ts'
import type { Application, User } from '../../db/schema.ts'
import { searchTextProblem } from '../../db/search.ts'
import { parsePk, queryParams, single } from '../../lib/forms.ts'
import { db } from '../../lib/request-context.ts'
import { applicationRefusalFor } from '../../oauth/application-changes.ts'
import { findApplicationById } from '../../oauth/applications.ts'
import { badRequest, forbidden, notFound } from '../kit/page.tsx'
import { listPage } from '../kit/pagination.tsx'
import type { PageEnv } from '../kit/session.ts'

/** A query parameter sent once, else ''. */
export function queryText(c: Context, name: string): string {
  return (single(queryParams(c), name) ?? '').trim()
}

/** Rows per list page (Django admin's list_per_page is 100; console pages stay short on a phone). */
export const PAGE_SIZE = 25

/** A search box's list: what was asked (`?q=`), why it was not searched (too long), and the page. */
export type Search<T> = { query: string; problem: string | null; page: Page<T> }

/** A list's order as `?o=` asks for it (`asked`: the raw value, '' when absent), or the 400 page when it names no column. */
export async function queryOrder<K extends string>(
  c: Context,
  orders: Orders<K>,
): Promise<{ order: Order<K>; asked: string } | Response> {
  const asked = queryText(c, 'o')
  const order = parseOrder(orders, asked)
  if (order) return { order, asked }
  return badRequest(c, `This list cannot be sorted by “${asked}”.`)
}

/**
 * The list `?q=` and `?page=` ask for, or null when there is no such page (404). A query past the
 * longest text searched lists nothing, and says why (the page answers 400).
 */
export async function searchList<T>(
  c: Context,
  search: (database: Db, query: string) => PagedQuery<T>,
): Promise<Search<T> | null> {
  const query = queryText(c, 'q')
  const problem = searchTextProblem(query)
  if (problem) return { query, problem, page: { count: 0, page: 1, pageCount: 1, rows: [] } }
  const page = await listPage(c, db(c), search(db(c), query), PAGE_SIZE)
  return page && { query, problem, page }
}

/** The user named by the path's `:id`, or undefined (404). */
export async function pathUser(c: Context<PageEnv>): Promise<User | undefined> {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findUserById(db(c), id)
}

/** The application named by the path's `:id`, or undefined (404). */
export async function pathApplication(c: Context<PageEnv>) {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findApplicationById(db(c), id)
}

/**
 * The application the path names, when the staff user may `action` it (by its owner,
 * src/accounts/rights.ts); else the 404 or 403 page to answer.
 */
export async function guardedApplication(
  c: Context<PageEnv>,
  action: Exclude<ApplicationAct['action'], 'create' | 'change'>,
): Promise<Application | Response> {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await applicationRefusalFor(db(c), c.var.user, application, action)
  return refused ? forbidden(c, refused) : application
}

/** The user the path names, when the staff user may change them; else the 404 or 403 page to answer. */
export async function managedUser(c: Context<PageEnv>): Promise<User | Response> {
  const user = await pathUser(c)
  if (!user) return notFound(c)
  if (!mayManageUser(c.var.user, user)) return forbidden(c, MAY_NOT_MANAGE)
  return user
}

/**
 * The 403 page for a staff user who may not manage enterprise-managed authorization (trusted
 * identity providers, ID-JAG exchange rules: superusers only), or null for a superuser.
 */
export function enterpriseForbidden(c: Context<PageEnv>): Response | Promise<Response> | null {
  const refused = enterpriseRefusal(c.var.user)
  return refused ? forbidden(c, refused) : null
}
