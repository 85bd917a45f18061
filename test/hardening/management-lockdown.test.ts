/**
 * The management API is session-only. A token issued to a client — any grant,
 * any scope — and a DRF `Token` key get no data and change nothing on /o/applications/ and
 * /o/authorized-tokens/; the refusal does not invite a Bearer token either.
 */
import { env, SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { applications, users } from '../../src/db/schema.ts'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { publicTokenId } from '../../src/tokens/shards.ts'
import {
  api,
  authorizationCode,
  db,
  form,
  hello,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  postToken,
  REDIRECT_URI,
  testStore,
  tokenDbOf,
} from '../helpers.ts'

const NEW_APP = {
  name: 'Evil twin',
  client_type: 'confidential',
  authorization_grant_type: ['authorization-code'],
  redirect_uris: ['https://attacker.example/cb'],
}

/** A request as a third-party client would make it: credentials in the header, same-origin headers even. */
function withCredentials(authorization: string, method: string, path: string, body?: unknown) {
  return api(path, { method, authorization, headers: { Origin: ORIGIN, 'Sec-Fetch-Site': 'same-origin' }, json: body })
}

/** Whatever the attempt, the answer is DRF's refusal: no data, no Bearer challenge. */
async function expectRefused(response: Response) {
  expect(response.status).toBe(403)
  const body = await response.json<Record<string, unknown>>()
  expect(Object.keys(body)).toEqual(['detail'])
  expect(response.headers.get('WWW-Authenticate') ?? '').not.toMatch(/bearer|token/i)
}

/** The user's own application B (not the one the token was issued to) and a snapshot of it. */
async function victimApplication(userId: number) {
  const app = await makeApplication({
    name: 'Victim app',
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    userId,
  })
  return app
}

async function snapshot(id: number) {
  return db.select().from(applications).where(eq(applications.id, id)).get()
}

/** Every management call a stolen-by-design third-party token could try, with its credentials. */
async function attemptEverything(authorization: string, victimId: number, ownId: number | null) {
  const attempts: [string, string, unknown?][] = [
    ['GET', '/o/applications/'],
    ['POST', '/o/applications/', NEW_APP],
    ['POST', '/o/applications/', { ...NEW_APP, skip_authorization: true }],
    ['GET', `/o/applications/${victimId}/`],
    ['PATCH', `/o/applications/${victimId}/`, { redirect_uris: ['https://attacker.example/cb'] }],
    ['PATCH', `/o/applications/${victimId}/`, { skip_authorization: true }],
    ['POST', `/o/applications/${victimId}/rotate-secret/`],
    ['DELETE', `/o/applications/${victimId}/`],
    ['GET', '/o/authorized-tokens/'],
  ]
  if (ownId !== null) attempts.push(['GET', `/o/applications/${ownId}/`])
  for (const [method, path, body] of attempts) {
    await expectRefused(await withCredentials(authorization, method, path, body))
  }
}

async function expectUntouched(victim: { id: number; clientId: string; clientSecret: string | null }, before: unknown) {
  expect(await snapshot(victim.id)).toEqual(before)
  // The secret still works: no rotation happened.
  const cc = await env.DB.prepare('SELECT client_secret_hash FROM applications WHERE id = ?')
    .bind(victim.id)
    .first<{ client_secret_hash: string }>()
  expect(cc?.client_secret_hash).toBe(await sha256Hex(victim.clientSecret ?? ''))
}

async function applicationCount(userId: number) {
  return (await db.select().from(applications).where(eq(applications.userId, userId))).length
}

describe('tokens issued to clients never manage applications', () => {
  it('a password-grant token (scopes read write) cannot list, read, create, PATCH, rotate or delete the user’s applications', async () => {
    const { user, token, body } = await passwordToken('read write')
    expect(body.scope).toBe('read write')
    const victim = await victimApplication(user.id)
    const before = await snapshot(victim.id)
    const count = await applicationCount(user.id)
    await attemptEverything(`Bearer ${token}`, victim.id, null)
    await expectUntouched(victim, before)
    expect(await applicationCount(user.id)).toBe(count)
  })

  it('an authorization-code token (scopes read write) of app A cannot touch app A or the user’s other applications', async () => {
    const { user, app, params } = await authorizationCode({ scopes: ['read', 'write'] })
    const issued = await postToken(form(params))
    expect(issued.status).toBe(200)
    const { access_token } = await issued.json<{ access_token: string }>()
    const victim = await victimApplication(user.id)
    const [beforeVictim, beforeOwn] = [await snapshot(victim.id), await snapshot(app.id)]
    const count = await applicationCount(user.id)
    await attemptEverything(`Bearer ${access_token}`, victim.id, app.id)
    for (const [method, path] of [
      ['PATCH', `/o/applications/${app.id}/`],
      ['POST', `/o/applications/${app.id}/rotate-secret/`],
      ['DELETE', `/o/applications/${app.id}/`],
    ]) {
      await expectRefused(
        await withCredentials(`Bearer ${access_token}`, method, path, method === 'PATCH' ? {} : undefined),
      )
    }
    await expectUntouched(victim, beforeVictim)
    expect(await snapshot(app.id)).toEqual(beforeOwn)
    expect(await applicationCount(user.id)).toBe(count)
  })

  it('a token cannot list or revoke the user’s authorized tokens', async () => {
    const first = await passwordToken('read write')
    const second = await postToken(
      form({
        grant_type: 'password',
        username: first.user.username,
        password: first.user.plainPassword,
        client_id: first.app.clientId,
        client_secret: first.app.clientSecret ?? '',
      }),
    )
    const other = (await second.json<{ access_token: string }>()).access_token
    // Named by its shard and row, as the authorized-tokens list names it (src/tokens/shards.ts).
    const { shard, d1 } = await tokenDbOf(other)
    const row = await d1
      .prepare('SELECT id FROM access_tokens WHERE token_hash = unhex(?)')
      .bind(await sha256Hex(other))
      .first<{ id: number }>()
    const id = publicTokenId(shard, row?.id ?? 0)
    await expectRefused(await withCredentials(`Bearer ${first.token}`, 'GET', '/o/authorized-tokens/'))
    await expectRefused(await withCredentials(`Bearer ${first.token}`, 'DELETE', `/o/authorized-tokens/${id}/`))
    expect((await hello(other)).status).toBe(200)
  })

  it('a staff user’s token cannot create a skip_authorization application', async () => {
    const { user, token } = await passwordToken('read write')
    await db.update(users).set({ isStaff: true }).where(eq(users.id, user.id))
    const response = await withCredentials(`Bearer ${token}`, 'POST', '/o/applications/', {
      ...NEW_APP,
      skip_authorization: true,
    })
    await expectRefused(response)
    expect(await applicationCount(user.id)).toBe(0)
  })

  it('a DRF Token key cannot manage applications either (staff user included)', async () => {
    const user = await makeUser()
    await db.update(users).set({ isStaff: true }).where(eq(users.id, user.id))
    const { key } = await issueApiKey(testStore(), user.id)
    const victim = await victimApplication(user.id)
    const before = await snapshot(victim.id)
    await attemptEverything(`Token ${key}`, victim.id, null)
    await expectUntouched(victim, before)
    expect(await applicationCount(user.id)).toBe(1)
  })

  it('the OpenAPI document declares the session cookie as the only way in', async () => {
    const doc = await (await SELF.fetch(`${ORIGIN}/openapi.json`)).json<{
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>
    }>()
    const management = Object.entries(doc.paths).filter(
      ([path]) => path.startsWith('/o/applications/') || path.startsWith('/o/authorized-tokens/'),
    )
    expect(management.length).toBeGreaterThanOrEqual(4)
    for (const [path, item] of management) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.security, `${method} ${path}`).toEqual([{ session: [] }])
      }
    }
  })
})
