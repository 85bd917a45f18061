/**
 * GET|POST /o/userinfo/ (OIDC Core §5.3) with tokens from the password grant.
 */
import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema.ts'
import { ALGS } from '../dpop.ts'
import { db, issueTokens, makeApplication, passwordToken, testStore } from '../helpers.ts'

const USERINFO = 'https://example.com/o/userinfo/'
const INVALID_TOKEN = 'Bearer realm="api", error="invalid_token"'
// RFC 7235 §4.1: without credentials, both schemes UserInfo accepts (RFC 9449 §7.1).
const BARE = `Bearer realm="api", DPoP algs="${ALGS}"`

function userinfo(authorization?: string, method = 'GET') {
  return SELF.fetch(USERINFO, { method, headers: authorization ? { Authorization: authorization } : {} })
}

async function expectError(response: Response, status: number, error: string, challenge: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('WWW-Authenticate')).toBe(challenge)
  expect(response.headers.get('Cache-Control')).toBe('no-store')
  const body = await response.json<{ error: string; error_description: string }>()
  expect(body.error).toBe(error)
  expect(typeof body.error_description).toBe('string')
}

describe('/o/userinfo/', () => {
  it('OIDC Core §5.3.2: GET returns sub and the claims of the granted scopes, never cached', async () => {
    const { user, token, body } = await passwordToken('openid profile email')
    expect(body.scope).toBe('openid profile email')
    // As in DOT/oauthlib, only the authorization_code and refresh grants issue id_tokens.
    expect(body).not.toHaveProperty('id_token')
    const response = await userinfo(`Bearer ${token}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(await response.json()).toEqual({
      sub: String(user.id),
      preferred_username: user.username,
      email: 'user@example.com',
      email_verified: false,
    })
  })

  it('OIDC Core §5.3.1: POST works the same', async () => {
    const { user, token } = await passwordToken('openid profile')
    const response = await userinfo(`Bearer ${token}`, 'POST')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sub: String(user.id), preferred_username: user.username })
  })

  it('OIDC Core §5.4: only openid granted → sub alone', async () => {
    const { user, token } = await passwordToken('openid')
    expect(await (await userinfo(`Bearer ${token}`)).json()).toEqual({ sub: String(user.id) })
  })

  it('RFC 6750 §3.1: no credentials → 401 with a bare challenge', async () => {
    await expectError(await userinfo(), 401, 'invalid_request', BARE)
  })

  it('RFC 6750 §3.1: another scheme counts as no credentials', async () => {
    await expectError(await userinfo('Basic dXNlcjpwYXNz'), 401, 'invalid_request', BARE)
  })

  it('RFC 6750 §3.1: a Bearer header without a token is invalid_request (400)', async () => {
    await expectError(await userinfo('Bearer'), 400, 'invalid_request', 'Bearer realm="api", error="invalid_request"')
  })

  it('RFC 6750 §3.1: an unknown token is invalid_token (401)', async () => {
    await expectError(await userinfo('Bearer eat_unknown'), 401, 'invalid_token', INVALID_TOKEN)
  })

  it('RFC 6750 §3.1: a token without the openid scope is insufficient_scope (403)', async () => {
    const { token } = await passwordToken('read profile email')
    await expectError(
      await userinfo(`Bearer ${token}`),
      403,
      'insufficient_scope',
      'Bearer realm="api", error="insufficient_scope", scope="openid"',
    )
  })

  it('a token acting for no user (client credentials) has no userinfo: invalid_token', async () => {
    const app = await makeApplication()
    const issued = await issueTokens(testStore(), {
      userId: null,
      username: null,
      applicationId: app.id,
      clientId: app.clientId,
      scopes: ['openid'],
      accessLifetime: 3600,
      refreshLifetime: null,
    })
    await expectError(await userinfo(`Bearer ${issued.accessToken}`), 401, 'invalid_token', INVALID_TOKEN)
  })

  it('a deactivated user gets no claims, even while the token is cached', async () => {
    const { user, token } = await passwordToken('openid profile')
    expect((await userinfo(`Bearer ${token}`)).status).toBe(200)
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
    await expectError(await userinfo(`Bearer ${token}`), 401, 'invalid_token', INVALID_TOKEN)
  })

  it('browser clients may call it cross-origin: the CORS preflight allows Authorization', async () => {
    const response = await SELF.fetch(USERINFO, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://spa.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(response.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization')
  })

  it('the password grant still defaults to DEFAULT_SCOPES, without openid', async () => {
    const { body } = await passwordToken()
    expect(body.scope).toBe('read write groups')
  })
})
