/**
 * Fixtures for tests: users and applications made through the domain layer, and small
 * HTTP helpers that call the Worker the way a client would.
 */
import { env, SELF } from 'cloudflare:test'
import { createUser } from '../src/accounts/users.ts'
import { getDb } from '../src/db/client.ts'
import { createApplication, type NewApplication } from '../src/oauth/applications.ts'

export const db = getDb(env.DB)

let counter = 0
export function unique(prefix: string): string {
  counter++
  return `${prefix}${Date.now().toString(36)}${counter}`
}

export async function makeUser(overrides: { isActive?: boolean; password?: string } = {}) {
  const password = overrides.password ?? 'correct horse battery staple'
  const user = await createUser(db, { username: unique('user'), email: 'user@example.com', password })
  if (overrides.isActive === false) {
    const { users } = await import('../src/db/schema.ts')
    const { eq } = await import('drizzle-orm')
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
  }
  return { ...user, plainPassword: password }
}

export async function makeApplication(overrides: Partial<NewApplication> = {}) {
  return createApplication(db, {
    name: 'Test app',
    clientType: 'confidential',
    grantTypes: ['password'],
    ...overrides,
  })
}

export function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString()
}

export function basic(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value)
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`
}

export async function postToken(body: string, headers: Record<string, string> = {}) {
  return SELF.fetch('https://example.com/o/token/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
}

/** A user, a password-grant application and a fresh token for them. */
export async function passwordToken(scope?: string) {
  const user = await makeUser()
  const app = await makeApplication()
  const response = await postToken(
    form({
      grant_type: 'password',
      username: user.username,
      password: user.plainPassword,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
      ...(scope ? { scope } : {}),
    }),
  )
  const body = await response.json<{ access_token: string; refresh_token: string; scope: string }>()
  return { user, app, token: body.access_token, refreshToken: body.refresh_token, body }
}
