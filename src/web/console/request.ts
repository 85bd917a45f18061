/**
 * @module
 * Reading the console's requests: the objects a path names, its query text, and which users a
 * staff member may change — the accounts rule of src/accounts/rights.ts (superusers anyone,
 * other staff ordinary users only), answered as the console's 404 or 403 page.
 */
import type { Context } from 'hono'
import { MAY_NOT_MANAGE, mayManageUser } from '../../accounts/rights.ts'
import { findUserById } from '../../accounts/users.ts'
import type { User } from '../../db/schema.ts'
import { parsePk, queryParams, single } from '../../lib/forms.ts'
import { db } from '../../lib/request-context.ts'
import { findApplicationById } from '../../oauth/applications.ts'
import { forbidden, notFound } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'

/** A query parameter sent once, else ''. */
export function queryText(c: Context, name: string): string {
  return (single(queryParams(c), name) ?? '').trim()
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

/** The user the path names, when the staff user may change them; else the 404 or 403 page to answer. */
export async function managedUser(c: Context<PageEnv>): Promise<User | Response> {
  const user = await pathUser(c)
  if (!user) return notFound(c)
  if (!mayManageUser(c.var.user, user)) return forbidden(c, MAY_NOT_MANAGE)
  return user
}
