import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { API_DPOP_CHALLENGE as DPOP_CHALLENGE } from '../dpop.ts'
import { api, form, makeUser, ORIGIN, passwordToken, testStore } from '../helpers.ts'

/** One way to send a token (RFC 6750 §3.1), and every scheme challenged. */
describe('RFC 6750 §3.1: a token sent in more than one way is invalid_request (400)', () => {
  it('/api/*: Authorization header plus ?access_token=', async () => {
    const { token } = await passwordToken('read')
    const response = await api(`/api/hello?access_token=${token}`, { authorization: `Bearer ${token}` })
    expect(response.status).toBe(400)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="invalid_request", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"',
    )
    expect(await response.json()).toEqual({ detail: expect.stringContaining('one way') })
  })

  it('/api/*: Authorization header plus access_token in a form body', async () => {
    const { token } = await passwordToken('read write')
    const response = await api('/api/build-trigger/', {
      authorization: `Bearer ${token}`,
      form: { access_token: token },
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_request"')
  })

  it('/api/*: the header alone still works, and a form body without access_token is read by the route', async () => {
    const { token } = await passwordToken('read write')
    expect((await api('/api/hello', { authorization: `Bearer ${token}` })).status).toBe(200)
    const response = await api('/api/build-trigger/', { authorization: `Bearer ${token}`, form: { branch: 'main' } })
    expect(response.status).toBe(200)
  })

  it('/o/userinfo/: Authorization header plus ?access_token= (GET) or a form access_token (POST)', async () => {
    const { token } = await passwordToken('openid')
    const viaQuery = await SELF.fetch(`${ORIGIN}/o/userinfo/?access_token=${token}`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    const viaBody = await SELF.fetch(`${ORIGIN}/o/userinfo/`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ access_token: token }),
    })
    for (const response of [viaQuery, viaBody]) {
      expect(response.status).toBe(400)
      expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_request"')
      expect(await response.json()).toMatchObject({ error: 'invalid_request' })
    }
    const alone = await SELF.fetch(`${ORIGIN}/o/userinfo/`, { headers: { Authorization: `Bearer ${token}` } })
    expect(alone.status).toBe(200)
  })
})

describe('RFC 7235 §4.1: a 401 from /api/build-trigger/ names every scheme it accepts', () => {
  it('no credentials: a Bearer and a Token challenge', async () => {
    const response = await api('/api/build-trigger/', { method: 'POST' })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api", Token, ' +
        DPOP_CHALLENGE,
    )
  })

  it("a refused Token key: DRF's Token challenge, then Bearer", async () => {
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: `Token ${'0'.repeat(40)}` })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Token, Bearer realm="api", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api", ' +
        DPOP_CHALLENGE,
    )
  })

  it('a refused Bearer token: its invalid_token challenge, then Token', async () => {
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: 'Bearer eat_unknown' })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api", Token, ' +
        DPOP_CHALLENGE,
    )
  })

  it('a valid Token key still triggers the build', async () => {
    const user = await makeUser()
    const { key } = await issueApiKey(testStore(), user.id)
    expect((await api('/api/build-trigger/', { method: 'POST', authorization: `Token ${key}` })).status).toBe(200)
  })
})
