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

const DEMO_USERNAME = 'admin'
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

const RULE = '═'.repeat(78)

/**
 * What `npm run dev` prints last, once the server answers: the demo credentials and the curls
 * that use them (first run), or how to recover lost ones (later runs), between two rules.
 */
export function demoBlock(demo: DemoCredentials | null, base: string): string {
  const recover = `Lost a demo credential? Only its digest is stored, so make a new one:
  password:        npm run manage -- changepassword ${DEMO_USERNAME}
  an app's secret: npm run manage -- deleteapplication <client_id>, then npm run dev again re-creates it`
  const where = `Server: ${base}   API docs: ${base}/docs   console: ${base}/admin/`
  if (!demo) {
    return [
      RULE,
      'Demo data already exists (its credentials were printed when it was created).',
      recover,
      where,
      RULE,
    ].join('\n')
  }
  const unchanged = '(unchanged: printed when it was created)'
  const password = demo.password ?? '<password>'
  const secret = demo.clientSecret ?? '<client_secret>'
  return `${RULE}
Demo data created. Shown this once: passwords and secrets are stored only as digests.
  username:      ${demo.username}
  password:      ${demo.password ?? unchanged}
  password-grant application:
    client_id:     ${demo.clientId}
    client_secret: ${demo.clientSecret ?? unchanged}
  client-credentials application (acts for itself, no user):
    client_id:     ${demo.serviceClientId}
    client_secret: ${demo.serviceClientSecret ?? unchanged}

Get a token (add &scope=read for one that may only read), then call the API:
  curl -X POST ${base}/o/token/ -u '${demo.clientId}:${secret}' \\
    -d 'grant_type=password&username=${demo.username}&password=${encodeURIComponent(password)}'
  curl ${base}/api/hello -H 'Authorization: Bearer <access_token>'
A token for the client itself (no user: /api/hello yes, /api/users/ no):
  curl -X POST ${base}/o/token/ -u '${demo.serviceClientId}:${demo.serviceClientSecret ?? '<client_secret>'}' \\
    -d 'grant_type=client_credentials'

${recover}
${where}
${RULE}`
}
