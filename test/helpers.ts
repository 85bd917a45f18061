/**
 * Fixtures for tests: users and applications made through the domain layer, and small
 * HTTP helpers that call the Worker the way a client would.
 */
import { env, SELF } from 'cloudflare:test'
import { createUser } from '../src/accounts/users.ts'
import { getDb } from '../src/db/client.ts'
import { createApplication, type NewApplication } from '../src/oauth/applications.ts'
import { issueTokens, standaloneTokenStore } from '../src/tokens/store.ts'

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

type ApiRequest = { method?: string; authorization?: string; json?: unknown; form?: Record<string, string> }

/** Calls the Worker like an API client: optional Authorization, JSON or form body. */
export function api(url: string, request: ApiRequest = {}) {
  const headers: Record<string, string> = {}
  let body: string | undefined
  if (request.authorization !== undefined) headers.Authorization = request.authorization
  if (request.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(request.json)
  } else if (request.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
    body = form(request.form)
  }
  const absolute = url.startsWith('http') ? url : `https://example.com${url}`
  return SELF.fetch(absolute, { method: request.method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
}

/** An access token issued straight through the token store, e.g. one with no user (client_credentials). */
export async function storeToken(options: { scopes: string[]; user?: { id: number; username: string } | null }) {
  const app = await makeApplication({ grantTypes: ['client-credentials'] })
  const issued = await issueTokens(testStore(), {
    userId: options.user?.id ?? null,
    username: options.user?.username ?? null,
    applicationId: app.id,
    clientId: app.clientId,
    scopes: options.scopes,
    accessLifetime: 3600,
    refreshLifetime: null,
  })
  return issued.accessToken
}

/** The token store as the Worker builds it, over the test bindings. */
export function testStore() {
  return standaloneTokenStore(db, env.TOKEN_CACHE)
}
