/**
 * Every unsafe session-authenticated request to the management API is
 * origin-checked, whatever its Content-Type — not only the form types hono/csrf looks at.
 */
import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications } from '../../src/db/schema.ts'
import { db, login, makeApplication, makeUser, ORIGIN, REDIRECT_URI } from '../helpers.ts'

async function ownerWithApplication() {
  const user = await makeUser()
  const app = await makeApplication({
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    userId: user.id,
  })
  return { user, app, cookie: await login(user) }
}

const row = (id: number) => db.select().from(applications).where(eq(applications.id, id)).get()
const count = async (userId: number) =>
  (await db.select().from(applications).where(eq(applications.userId, userId))).length

const NEW_APP = JSON.stringify({
  name: 'Cross-site',
  client_type: 'confidential',
  authorization_grant_type: ['authorization-code'],
  redirect_uris: ['https://attacker.example/cb'],
})

function send(cookie: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  return SELF.fetch(`${ORIGIN}${path}`, { method, headers: { Cookie: cookie, ...headers }, body })
}

async function expectCsrfRefusal(response: Response) {
  expect(response.status).toBe(403)
  const body = await response.json<{ detail: string }>()
  expect(body.detail).toMatch(/^CSRF Failed: /)
}

describe('origin check on every unsafe session request', () => {
  it('a JSON POST, an octet-stream POST, a PATCH and a DELETE from a foreign Origin are refused and change nothing', async () => {
    const { user, app, cookie } = await ownerWithApplication()
    const before = await row(app.id)
    const foreign = { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }
    await expectCsrfRefusal(
      await send(cookie, 'POST', '/o/applications/', { ...foreign, 'Content-Type': 'application/json' }, NEW_APP),
    )
    await expectCsrfRefusal(
      await send(
        cookie,
        'POST',
        '/o/applications/',
        { ...foreign, 'Content-Type': 'application/octet-stream' },
        NEW_APP,
      ),
    )
    await expectCsrfRefusal(
      await send(
        cookie,
        'POST',
        `/o/applications/${app.id}/rotate-secret/`,
        { ...foreign, 'Content-Type': 'application/json' },
        '{}',
      ),
    )
    await expectCsrfRefusal(
      await send(
        cookie,
        'PATCH',
        `/o/applications/${app.id}/`,
        { ...foreign, 'Content-Type': 'application/json' },
        JSON.stringify({ redirect_uris: ['https://attacker.example/cb'] }),
      ),
    )
    await expectCsrfRefusal(await send(cookie, 'DELETE', `/o/applications/${app.id}/`, foreign))
    expect(await row(app.id)).toEqual(before)
    expect(await count(user.id)).toBe(1)
  })

  it('an unsafe request with neither Origin nor Sec-Fetch-Site is refused', async () => {
    const { app, cookie } = await ownerWithApplication()
    const before = await row(app.id)
    await expectCsrfRefusal(
      await send(cookie, 'PATCH', `/o/applications/${app.id}/`, { 'Content-Type': 'application/json' }, '{"name":"x"}'),
    )
    await expectCsrfRefusal(await send(cookie, 'DELETE', `/o/applications/${app.id}/`, {}))
    expect(await row(app.id)).toEqual(before)
  })

  it('the same requests from this origin work (Origin, or Sec-Fetch-Site: same-origin)', async () => {
    const { user, app, cookie } = await ownerWithApplication()
    const created = await send(
      cookie,
      'POST',
      '/o/applications/',
      { Origin: ORIGIN, 'Content-Type': 'application/json' },
      NEW_APP,
    )
    expect(created.status).toBe(201)
    const patched = await send(
      cookie,
      'PATCH',
      `/o/applications/${app.id}/`,
      { 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' },
      JSON.stringify({ name: 'Renamed' }),
    )
    expect(patched.status).toBe(200)
    expect((await row(app.id))?.name).toBe('Renamed')
    expect((await send(cookie, 'POST', `/o/applications/${app.id}/rotate-secret/`, { Origin: ORIGIN })).status).toBe(
      200,
    )
    expect((await send(cookie, 'DELETE', `/o/applications/${app.id}/`, { Origin: ORIGIN })).status).toBe(204)
    expect(await count(user.id)).toBe(1)
  })
})

describe('the management API answers in the DRF dialect, whatever its /o/ prefix', () => {
  it('malformed JSON → 400, another media type → 415, an undefined method → 405 with Allow: all {"detail": …}', async () => {
    const { app, cookie } = await ownerWithApplication()
    const same = { Origin: ORIGIN }
    const malformed = await send(
      cookie,
      'POST',
      '/o/applications/',
      { ...same, 'Content-Type': 'application/json' },
      '{"name":',
    )
    expect(malformed.status).toBe(400)
    expect(Object.keys(await malformed.json())).toEqual(['detail'])
    const media = await send(cookie, 'POST', '/o/applications/', { ...same, 'Content-Type': 'text/plain' }, '{}')
    expect(media.status).toBe(415)
    expect(Object.keys(await media.json())).toEqual(['detail'])
    const put = await send(cookie, 'PUT', `/o/applications/${app.id}/`, same)
    expect(put.status).toBe(405)
    expect(put.headers.get('Allow')).toBe('GET, HEAD, PATCH, DELETE')
    expect(await put.json()).toEqual({ detail: 'Method "PUT" not allowed.' })
  })
})
