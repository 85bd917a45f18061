import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import {
  basic,
  expectOAuthError,
  form,
  hello,
  makeApplication,
  makeUser,
  passwordToken,
  postToken,
  refreshGrant,
} from '../helpers.ts'

function revoke(body: Record<string, string>, headers: Record<string, string> = {}, path = '/o/revoke-token/') {
  return SELF.fetch(`https://example.com${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form(body),
  })
}

describe('POST /o/revoke-token/', () => {
  it('RFC 7009 §2.1: revokes an access token and purges its KV entry', async () => {
    const { app, token } = await passwordToken()
    const key = `at:${await sha256Hex(token)}`
    expect(await env.TOKEN_CACHE.get(key)).not.toBeNull()
    const response = await revoke(
      { token, token_type_hint: 'access_token' },
      { Authorization: basic(app.clientId, app.clientSecret ?? '') },
    )
    expect(response.status).toBe(200)
    expect(await env.TOKEN_CACHE.get(key)).toBeNull()
    expect((await hello(token)).status).toBe(401)
  })

  it('RFC 7009 §2.1: revoking an access token leaves its refresh token usable (DOT)', async () => {
    const { app, token, refreshToken } = await passwordToken()
    expect((await revoke({ token, client_id: app.clientId, client_secret: app.clientSecret ?? '' })).status).toBe(200)
    expect((await refreshGrant(app, refreshToken)).status).toBe(200)
  })

  it('RFC 7009 §2.1: revoking a refresh token revokes the access tokens of its grant', async () => {
    const { app, token, refreshToken } = await passwordToken()
    const response = await revoke({
      token: refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    })
    expect(response.status).toBe(200)
    expect((await hello(token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(app, refreshToken), 400, 'invalid_grant')
  })

  it('RFC 7009 §2.1: a wrong token_type_hint still finds the token', async () => {
    const { app, token } = await passwordToken()
    const response = await revoke({
      token,
      token_type_hint: 'refresh_token',
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    })
    expect(response.status).toBe(200)
    expect((await hello(token)).status).toBe(401)
  })

  it('is also answered at DOT’s spelling /o/revoke_token/', async () => {
    const { app, token } = await passwordToken()
    const response = await revoke(
      { token, client_id: app.clientId, client_secret: app.clientSecret ?? '' },
      {},
      '/o/revoke_token/',
    )
    expect(response.status).toBe(200)
    expect((await hello(token)).status).toBe(401)
  })

  it('RFC 7009 §2.2: an unknown or malformed token → 200', async () => {
    const app = await makeApplication()
    for (const token of ['eat_unknown', 'garbage', 'x'.repeat(300)]) {
      const response = await revoke({ token, client_id: app.clientId, client_secret: app.clientSecret ?? '' })
      expect(response.status).toBe(200)
    }
  })

  it('RFC 7009 §2.1: only the client the token was issued to can revoke it', async () => {
    const { token, refreshToken, app } = await passwordToken()
    const other = await makeApplication()
    const credentials = { client_id: other.clientId, client_secret: other.clientSecret ?? '' }
    expect((await revoke({ token, ...credentials })).status).toBe(200)
    expect((await revoke({ token: refreshToken, ...credentials })).status).toBe(200)
    expect((await hello(token)).status).toBe(200)
    expect((await refreshGrant(app, refreshToken)).status).toBe(200)
  })

  it('RFC 7009 §2.1: client authentication is required → 401 invalid_client', async () => {
    const { app, token } = await passwordToken()
    await expectOAuthError(await revoke({ token }), 401, 'invalid_client')
    await expectOAuthError(
      await revoke({ token, client_id: app.clientId, client_secret: 'wrong' }),
      401,
      'invalid_client',
    )
    expect((await hello(token)).status).toBe(200)
  })

  it('RFC 7009 §2.1: a public client revokes with its client_id', async () => {
    const user = await makeUser()
    const app = await makeApplication({ clientType: 'public' })
    const issued = await (
      await postToken(
        form({
          grant_type: 'password',
          username: user.username,
          password: user.plainPassword,
          client_id: app.clientId,
        }),
      )
    ).json<{ access_token: string }>()
    expect((await revoke({ token: issued.access_token, client_id: app.clientId })).status).toBe(200)
    expect((await hello(issued.access_token)).status).toBe(401)
  })

  it('RFC 7009 §2.1: a missing token → 400 invalid_request', async () => {
    const app = await makeApplication()
    await expectOAuthError(
      await revoke({ client_id: app.clientId, client_secret: app.clientSecret ?? '' }),
      400,
      'invalid_request',
    )
  })
})
