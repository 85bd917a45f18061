/**
 * @module
 * Demo data for local development: a superuser and a confidential password-grant
 * application, created once. Their secrets are printed at creation and never again.
 */
import { eq } from 'drizzle-orm'
import { createUser, findUserByUsername } from '../accounts/users.ts'
import { randomString } from '../crypto/random.ts'
import type { Db } from '../db/client.ts'
import { applications } from '../db/schema.ts'
import { createApplication } from '../oauth/applications.ts'

const DEMO_USERNAME = 'admin'
const DEMO_APPLICATION = 'Demo password app'

export type DemoCredentials = { username: string; password: string; clientId: string; clientSecret: string }

/** Creates whatever demo data is missing; returns the new credentials, or null when all existed. */
export async function seedDemo(db: Db): Promise<DemoCredentials | null> {
  const existingUser = await findUserByUsername(db, DEMO_USERNAME)
  const existingApp = await db.select().from(applications).where(eq(applications.name, DEMO_APPLICATION)).get()
  if (existingUser && existingApp) return null

  const password = randomString(20)
  const user =
    existingUser ??
    (await createUser(db, {
      username: DEMO_USERNAME,
      email: 'admin@example.com',
      password,
      isStaff: true,
      isSuperuser: true,
    }))
  const created = existingApp
    ? null
    : await createApplication(db, {
        name: DEMO_APPLICATION,
        clientType: 'confidential',
        grantTypes: ['password'],
        userId: user.id,
      })
  const unchanged = '(unchanged: printed when it was created)'
  return {
    username: DEMO_USERNAME,
    password: existingUser ? unchanged : password,
    clientId: (created ?? existingApp)?.clientId ?? '',
    clientSecret: created?.clientSecret ?? unchanged,
  }
}
