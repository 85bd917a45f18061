/**
 * Fixtures for the operator console tests: staff, superuser and ordinary sessions, form posts
 * with a session, and the audit entries a change left.
 */
import { SELF } from 'cloudflare:test'
import { desc, eq } from 'drizzle-orm'
import { auditLog, users } from '../../src/db/schema.ts'
import { db, form, login, makeUser, ORIGIN } from '../helpers.ts'

export async function sessionOf(role: 'superuser' | 'staff' | 'user') {
  const user = await makeUser()
  if (role !== 'user') {
    await db
      .update(users)
      .set({ isStaff: true, isSuperuser: role === 'superuser' })
      .where(eq(users.id, user.id))
  }
  return { user, cookie: await login(user) }
}

/** A same-origin form post with the session cookie, as the console's own forms send it. */
export function consolePost(path: string, cookie: string, values: Record<string, string | string[]> = {}) {
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item)
  }
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: cookie },
    body: body.toString(),
  })
}

/** The newest audit entries about an object. */
export async function auditOf(objectType: string, objectId: number | string) {
  return db
    .select()
    .from(auditLog)
    .where(eq(auditLog.objectId, String(objectId)))
    .orderBy(desc(auditLog.id))
    .then((rows) => rows.filter((row) => row.objectType === objectType))
}

export { form }
