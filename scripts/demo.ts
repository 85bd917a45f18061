/**
 * @module
 * Demo data for local development: a superuser, a confidential password-grant application and a
 * confidential client-credentials application (a client acting for itself, as the README's
 * client_credentials example needs), each created once. Their secrets are printed at creation
 * and never again: only digests are stored. A lost one is recovered by `changepassword admin`,
 * or by deleting the application (`deleteapplication`) so the next `npm run dev` makes it anew.
 */
import { eq } from 'drizzle-orm'
import { createUser, findUserByUsername } from '../src/accounts/users.ts'
import { randomString } from '../src/crypto/random.ts'
import type { Db } from '../src/db/client.ts'
import { applications } from '../src/db/schema.ts'
import { type ApplicationGrant, createApplication } from '../src/oauth/applications.ts'

export const DEMO_USERNAME = 'admin'
const DEMO_APPLICATIONS = {
  password: { name: 'Demo password app', grant: 'password' },
  service: { name: 'Demo client-credentials app', grant: 'client-credentials' },
} as const satisfies Record<string, { name: string; grant: ApplicationGrant }>

/** What was printed once; null: it existed before (printed when it was created). */
export type DemoCredentials = {
  username: string
  password: string | null
  clientId: string
  clientSecret: string | null
  serviceClientId: string
  serviceClientSecret: string | null
}

/** Creates whatever demo data is missing; returns every credential (null where it existed before), or null when all existed. */
export async function seedDemo(db: Db): Promise<DemoCredentials | null> {
  const existingUser = await findUserByUsername(db, DEMO_USERNAME)
  const find = (name: string) => db.select().from(applications).where(eq(applications.name, name)).get()
  const existingPasswordApp = await find(DEMO_APPLICATIONS.password.name)
  const existingServiceApp = await find(DEMO_APPLICATIONS.service.name)
  if (existingUser && existingPasswordApp && existingServiceApp) return null

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
  const create = ({ name, grant }: { name: string; grant: ApplicationGrant }) =>
    createApplication(db, { name, clientType: 'confidential', grantTypes: [grant], userId: user.id })
  const passwordApp = existingPasswordApp ? null : await create(DEMO_APPLICATIONS.password)
  const serviceApp = existingServiceApp ? null : await create(DEMO_APPLICATIONS.service)
  return {
    username: DEMO_USERNAME,
    password: existingUser ? null : password,
    clientId: (passwordApp ?? existingPasswordApp)?.clientId ?? '',
    clientSecret: passwordApp?.clientSecret ?? null,
    serviceClientId: (serviceApp ?? existingServiceApp)?.clientId ?? '',
    serviceClientSecret: serviceApp?.clientSecret ?? null,
  }
}
