/**
 * What the management API stores for an application. Ids only in
 * Django's `<int:pk>` form; grant types without duplicates; redirect URIs refused when they
 * hold whitespace, control characters or backslashes, and stored as a list, never split.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, login, makeUser } from '../helpers.ts'

type App = { id: number; authorization_grant_type: string[]; redirect_uris: string[] }

function call(cookie: string, method: string, path: string, body?: unknown) {
  return api(path, { method, cookie, json: body })
}

const NEW_APP = {
  name: 'Input checks',
  client_type: 'confidential',
  authorization_grant_type: ['authorization-code'],
  redirect_uris: ['https://client.example/cb'],
}

async function owner() {
  const user = await makeUser()
  return { user, cookie: await login(user) }
}

async function stored(id: number) {
  return env.DB.prepare('SELECT grant_types, redirect_uris FROM applications WHERE id = ?')
    .bind(id)
    .first<{ grant_types: string; redirect_uris: string }>()
}

describe('application ids are Django <int:pk> ([0-9]+)', () => {
  it('2.0, 0x2, " 2", "+2", "2 ", 1e0, -2, 2abc are 404 for every verb, not the application', async () => {
    const { cookie } = await owner()
    const created = await (await call(cookie, 'POST', '/o/applications/', NEW_APP)).json<App>()
    const id = created.id
    const lookalikes = [
      `${id}.0`,
      `0x${id.toString(16)}`,
      ` ${id}`,
      `+${id}`,
      `${id} `,
      `${id}e0`,
      `-${id}`,
      `${id}abc`,
    ]
    if (id === 1) lookalikes.push('1e0', '0b1')
    for (const raw of lookalikes) {
      const path = `/o/applications/${encodeURIComponent(raw)}/`
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { name: 'hijacked' }],
        ['POST', 'rotate-secret/', undefined],
        ['DELETE', '', undefined],
      ] as const) {
        const response = await call(cookie, method, `${path}${suffix}`, body)
        expect(response.status, `${method} ${raw}`).toBe(404)
        expect(await response.json()).toEqual({ detail: 'Not found.' })
      }
      expect((await call(cookie, 'DELETE', `/o/authorized-tokens/${encodeURIComponent(raw)}/`)).status).toBe(404)
    }
    const still = await (await call(cookie, 'GET', `/o/applications/${id}/`)).json<App & { name: string }>()
    expect(still.name).toBe('Input checks')
  })

  it('leading zeros name the same pk, as Django’s int converter (int("02") == 2)', async () => {
    const { cookie } = await owner()
    const created = await (await call(cookie, 'POST', '/o/applications/', NEW_APP)).json<App>()
    expect((await call(cookie, 'GET', `/o/applications/0${created.id}/`)).status).toBe(200)
  })
})

describe('duplicate grant types are not stored', () => {
  it('["password","password"] is stored once (DRF MultipleChoiceField keeps a set), on create and on PATCH', async () => {
    const { cookie } = await owner()
    const response = await call(cookie, 'POST', '/o/applications/', {
      ...NEW_APP,
      authorization_grant_type: ['password', 'authorization-code', 'password'],
    })
    expect(response.status).toBe(201)
    const created = await response.json<App>()
    expect(created.authorization_grant_type).toEqual(['password', 'authorization-code'])
    expect((await stored(created.id))?.grant_types).toBe('["password","authorization-code"]')
    const patched = await call(cookie, 'PATCH', `/o/applications/${created.id}/`, {
      authorization_grant_type: ['authorization-code', 'authorization-code'],
    })
    expect((await patched.json<App>()).authorization_grant_type).toEqual(['authorization-code'])
    expect((await stored(created.id))?.grant_types).toBe('["authorization-code"]')
  })
})

describe('redirect URIs are whole, checked and stored as a list', () => {
  const REFUSED = [
    'https://client.example/cb https://evil.example/cb',
    'https://client.example/cb\thttps://evil.example/cb',
    'https://client.example/cb\n',
    'https://client.example/c\u0000b',
    'https://client.example/c\u007fb',
    'https://client.example/c\u0085b',
    'https://client.example/c\u00a0b',
    'https://client.example/c\u2028b',
    'https://client.example\\@evil.example/cb',
    'https://client.example/cb\\',
    ' https://client.example/cb',
  ]

  it('a URI with whitespace, a control character or a backslash is a 400 field error on create and PATCH', async () => {
    const { user, cookie } = await owner()
    for (const uri of REFUSED) {
      const response = await call(cookie, 'POST', '/o/applications/', { ...NEW_APP, redirect_uris: [uri] })
      expect(response.status, JSON.stringify(uri)).toBe(400)
      expect(await response.json()).toHaveProperty(['redirect_uris.0'])
    }
    const created = await (await call(cookie, 'POST', '/o/applications/', NEW_APP)).json<App>()
    for (const uri of REFUSED) {
      const response = await call(cookie, 'PATCH', `/o/applications/${created.id}/`, {
        redirect_uris: ['https://client.example/ok', uri],
      })
      expect(response.status, JSON.stringify(uri)).toBe(400)
      expect(await response.json()).toHaveProperty(['redirect_uris.1'])
    }
    expect((await stored(created.id))?.redirect_uris).toBe('["https://client.example/cb"]')
    const count = await env.DB.prepare('SELECT count(*) AS n FROM applications WHERE user_id = ?')
      .bind(user.id)
      .first<{ n: number }>()
    expect(count?.n).toBe(1)
  })

  it('stores the URIs as a JSON list, each one exactly as registered', async () => {
    const { cookie } = await owner()
    const uris = ['https://client.example/cb?x=1&y=%20', 'http://127.0.0.1:8765/cb']
    const created = await (
      await call(cookie, 'POST', '/o/applications/', { ...NEW_APP, redirect_uris: uris })
    ).json<App>()
    expect(created.redirect_uris).toEqual(uris)
    expect(JSON.parse((await stored(created.id))?.redirect_uris ?? '')).toEqual(uris)
  })
})
