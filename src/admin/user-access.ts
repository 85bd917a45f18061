/**
 * @module
 * Which users a staff member may change in the console: superusers anyone, other staff
 * ordinary users only, so nobody raises their own rights (or takes over a superuser) here.
 */
import type { Context } from 'hono'
import type { User } from '../db/schema.ts'
import type { StaffEnv } from '../types.ts'
import { forbidden, notFound, pathUser } from './request.tsx'

export const MAY_NOT_MANAGE = 'Only superusers may change staff and superuser accounts.'

export function mayManage(staff: User, target: User): boolean {
  return staff.isSuperuser || (!target.isStaff && !target.isSuperuser)
}

export const userPath = (user: Pick<User, 'id'>) => `/admin/users/${user.id}/`

/** The user the path names, when the staff user may change them; else the 404 or 403 page to answer. */
export async function managedUser(c: Context<StaffEnv>): Promise<User | Response> {
  const user = await pathUser(c)
  if (!user) return notFound(c)
  if (!mayManage(c.var.staff, user)) return forbidden(c, MAY_NOT_MANAGE)
  return user
}
