import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { api, basic, form, hello, login, makeUser, ORIGIN, passwordToken, postToken } from '../helpers.ts'

type App = { id: number; client_id: string; client_secret?: string | null; name: string; redirect_uris: string[] }

function call(method: string, path: string, auth: { cookie?: string; token?: string }, body?: unknown) {
  const authorization = auth.token === undefined ? undefined : `Bearer ${auth.token}`
  return api(path, { method, cookie: auth.cookie, authorization, json: body })
}

const NEW_APP = {
  name: 'Photo Printer',
  client_type: 'confidential',
  authorization_grant_type: ['authorization-code', 'client-credentials'],
  redirect_uris: ['https://printer.example.com/cb'],
}

async function owner() {
  const user = await makeUser()
  return { user, cookie: await login(user) }
}

describe('/o/applications/', () => {
  it('registers an application and shows its client secret once', async () => {
    const { cookie } = await owner()
    const response = await call('POST', '/o/applications/', { cookie }, NEW_APP)
    expect(response.status).toBe(201)
    const created = await response.json<App>()
    expect(created.client_secret).toMatch(/^ecs_/)
    expect(created.redirect_uris).toEqual(['https://printer.example.com/cb'])
    // The secret works, and is never shown again.
    const token = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(created.client_id, created.client_secret ?? ''),
    })
    expect(token.status).toBe(200)
    const detail = await (await call('GET', `/o/applications/${created.id}/`, { cookie })).json<App>()
    expect(detail).not.toHaveProperty('client_secret')
    expect(JSON.stringify(await (await call('GET', '/o/applications/', { cookie })).json())).not.toContain(
      created.client_secret,
    )
  })

  it('lists only the caller’s applications; others’ are 404 for every verb', async () => {
    const alice = await owner()
    const bob = await owner()
    const mine = await (await call('POST', '/o/applications/', alice, NEW_APP)).json<App>()
    await call('POST', '/o/applications/', bob, { ...NEW_APP, name: 'Bob app' })
    const list = await (await call('GET', '/o/applications/', alice)).json<App[]>()
    expect(list.map((app) => app.id)).toEqual([mine.id])
    for (const [method, path, body] of [
      ['GET', `/o/applications/${mine.id}/`, undefined],
      ['PATCH', `/o/applications/${mine.id}/`, { name: 'stolen' }],
      ['DELETE', `/o/applications/${mine.id}/`, undefined],
      ['POST', `/o/applications/${mine.id}/rotate-secret/`, undefined],
      ['GET', '/o/applications/99999/', undefined],
      ['GET', '/o/applications/abc/', undefined],
    ] as const) {
      const response = await call(method, path, bob, body)
      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({ detail: 'Not found.' })
    }
    expect((await (await call('GET', `/o/applications/${mine.id}/`, alice)).json<App>()).name).toBe('Photo Printer')
  })

  it('updates with PATCH and validates redirect URIs (https, or http only for localhost)', async () => {
    const { cookie } = await owner()
    const app = await (await call('POST', '/o/applications/', { cookie }, NEW_APP)).json<App>()
    const patched = await call(
      'PATCH',
      `/o/applications/${app.id}/`,
      { cookie },
      {
        name: 'Renamed',
        redirect_uris: ['http://127.0.0.1:8000/cb', 'http://localhost/cb'],
      },
    )
    expect(patched.status).toBe(200)
    expect((await patched.json<App>()).name).toBe('Renamed')
    for (const uri of ['http://printer.example.com/cb', 'https://x.example/cb#frag', 'javascript:alert(1)', 'nope']) {
      const response = await call('PATCH', `/o/applications/${app.id}/`, { cookie }, { redirect_uris: [uri] })
      expect(response.status).toBe(400)
      expect(await response.json()).toHaveProperty(['redirect_uris.0'])
    }
  })

  it('refuses impossible settings with field errors', async () => {
    const { cookie } = await owner()
    const noRedirect = await call('POST', '/o/applications/', { cookie }, { ...NEW_APP, redirect_uris: [] })
    expect(noRedirect.status).toBe(400)
    expect(await noRedirect.json()).toHaveProperty('redirect_uris')
    const publicCc = await call('POST', '/o/applications/', { cookie }, { ...NEW_APP, client_type: 'public' })
    expect(await publicCc.json()).toHaveProperty('authorization_grant_type')
    const missing = await call('POST', '/o/applications/', { cookie }, {})
    expect(missing.status).toBe(400)
    expect(await missing.json()).toHaveProperty('name', ['This field is required.'])
    // Not a settings problem but a right: superusers only (test/hardening/staff-rights.test.ts).
    const skip = await call('POST', '/o/applications/', { cookie }, { ...NEW_APP, skip_authorization: true })
    expect(skip.status).toBe(403)
    expect(await skip.json()).toEqual({ detail: 'Only superusers may turn on skip_authorization.' })
  })

  it('DELETE revokes the application’s tokens (KV purged) and removes it', async () => {
    const { user, cookie } = await owner()
    const app = await (await call('POST', '/o/applications/', { cookie }, NEW_APP)).json<App>()
    const issued = await (
      await postToken(form({ grant_type: 'client_credentials' }), {
        Authorization: basic(app.client_id, app.client_secret ?? ''),
      })
    ).json<{ access_token: string }>()
    const key = `at:${await sha256Hex(issued.access_token)}`
    expect(await env.TOKEN_CACHE.get(key)).not.toBeNull()
    expect((await call('DELETE', `/o/applications/${app.id}/`, { cookie })).status).toBe(204)
    expect(await env.TOKEN_CACHE.get(key)).toBeNull()
    expect((await hello(issued.access_token)).status).toBe(401)
    expect((await call('GET', `/o/applications/${app.id}/`, { cookie })).status).toBe(404)
    expect(user.id).toBeGreaterThan(0)
  })

  it('rotate-secret returns a new secret once; the old one stops working', async () => {
    const { cookie } = await owner()
    const app = await (await call('POST', '/o/applications/', { cookie }, NEW_APP)).json<App>()
    const rotated = await call('POST', `/o/applications/${app.id}/rotate-secret/`, { cookie })
    expect(rotated.status).toBe(200)
    const { client_secret } = await rotated.json<{ client_secret: string }>()
    expect(client_secret).toMatch(/^ecs_/)
    const request = (secret: string) =>
      postToken(form({ grant_type: 'client_credentials' }), { Authorization: basic(app.client_id, secret) })
    expect((await request(app.client_secret ?? '')).status).toBe(401)
    expect((await request(client_secret)).status).toBe(200)
  })

  it('refuses the owner’s own Bearer token whatever its scope: the session is the only way in', async () => {
    const writer = await passwordToken('read write')
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', NEW_APP],
    ] as const) {
      const refused = await call(method, '/o/applications/', { token: writer.token }, body)
      expect(refused.status).toBe(403)
      expect(refused.headers.get('WWW-Authenticate')).toBeNull()
      expect(await refused.json()).toEqual({
        detail: 'This API accepts only a browser session; access tokens and Token keys are not accepted here.',
      })
    }
    const cookie = await login(writer.user)
    expect(await (await call('GET', '/o/applications/', { cookie })).json()).toEqual([])
  })

  it('no session → DRF SessionAuthentication’s 403 without a challenge; a forged token changes nothing', async () => {
    const none = await call('GET', '/o/applications/', {})
    expect(none.status).toBe(403)
    expect(none.headers.get('WWW-Authenticate')).toBeNull()
    expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect((await call('GET', '/o/authorized-tokens/', { token: 'eat_forged' })).status).toBe(403)
  })

  it('CSRF: a cross-site form post with the session cookie is refused', async () => {
    const { cookie } = await owner()
    const response = await SELF.fetch(`${ORIGIN}/o/applications/`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=x',
    })
    expect(response.status).toBe(403)
    const app = await (await call('POST', '/o/applications/', { cookie }, NEW_APP)).json<App>()
    const crossSiteDelete = await SELF.fetch(`${ORIGIN}/o/applications/${app.id}/`, {
      method: 'DELETE',
      headers: { Cookie: cookie, Origin: 'https://evil.example' },
    })
    expect(crossSiteDelete.status).toBe(403)
    expect((await call('GET', `/o/applications/${app.id}/`, { cookie })).status).toBe(200)
  })
})

describe('/o/authorized-tokens/', () => {
  it('lists the caller’s live access tokens — application name, scope, expiry, never the token', async () => {
    const { user, token, app } = await passwordToken('read write')
    const cookie = await login(user)
    await passwordToken() // someone else's
    const response = await call('GET', '/o/authorized-tokens/', { cookie })
    expect(response.status).toBe(200)
    const tokens =
      await response.json<{ id: number; application: { name: string }; scope: string; expires: string }[]>()
    expect(tokens).toHaveLength(1)
    expect(tokens[0]).toEqual({
      id: expect.any(Number),
      application: { name: 'Test app', client_id: app.clientId },
      scope: 'read write',
      expires: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    const text = JSON.stringify(tokens)
    expect(text).not.toContain(token)
    expect(text).not.toContain(await sha256Hex(token))
  })

  it('DELETE revokes the token (and its refresh token) and purges KV; others’ tokens are 404', async () => {
    const { user, token, app, refreshToken } = await passwordToken()
    const cookie = await login(user)
    const [listed] = await (await call('GET', '/o/authorized-tokens/', { cookie })).json<{ id: number }[]>()
    const stranger = await owner()
    expect((await call('DELETE', `/o/authorized-tokens/${listed.id}/`, stranger)).status).toBe(404)
    expect((await hello(token)).status).toBe(200)
    expect((await call('DELETE', `/o/authorized-tokens/${listed.id}/`, { cookie })).status).toBe(204)
    expect(await env.TOKEN_CACHE.get(`at:${await sha256Hex(token)}`)).toBeNull()
    expect((await hello(token)).status).toBe(401)
    const refreshed = await postToken(
      form({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(refreshed.status).toBe(400)
    expect((await call('DELETE', `/o/authorized-tokens/${listed.id}/`, { cookie })).status).toBe(404)
  })
})
