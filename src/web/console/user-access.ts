/**
 * @module
 * Which users a staff member may change in the console: the accounts rule of
 * src/accounts/rights.ts (superusers anyone, other staff ordinary users only), answered here
 * as the console's 404 or 403 page.
 */
import type { Context } from 'hono'
import { MAY_NOT_MANAGE, mayManageUser } from '../accounts/rights.ts'
import type { User } from '../db/schema.ts'
import type { StaffEnv } from '../types.ts'
import { forbidden, notFound, pathUser } from './request.tsx'

export const userPath = (user: Pick<User, 'id'>) => `/admin/users/${user.id}/`

/** The user the path names, when the staff user may change them; else the 404 or 403 page to answer. */
export async function managedUser(c: Context<StaffEnv>): Promise<User | Response> {
  const user = await pathUser(c)
  if (!user) return notFound(c)
  if (!mayManageUser(c.var.staff, user)) return forbidden(c, MAY_NOT_MANAGE)
  return user
}
