import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  expectOAuthError,
  fetchWithSettings,
  form,
  hello,
  makeApplication,
  passwordToken,
  postToken,
  refreshGrant,
} from './helpers.ts'

type Tokens = { access_token: string; refresh_token: string; scope: string }

describe('POST /o/token/ grant_type=refresh_token', () => {
  it('RFC 6749 §6: returns a new access token and a new (rotated) refresh token', async () => {
    const { app, token, refreshToken } = await passwordToken()
    const response = await refreshGrant(app, refreshToken)
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<Tokens>()
    expect(body.refresh_token).toMatch(/^ert_/)
    expect(body.refresh_token).not.toBe(refreshToken)
    expect(body.access_token).not.toBe(token)
    expect(body.scope).toBe('read write groups')
    expect((await hello(body.access_token)).status).toBe(200)
    // The access token issued with the rotated refresh token is retired with it (DOT).
    expect((await hello(token)).status).toBe(401)
  })

  it('RFC 6749 §6: a narrower scope narrows the access token; the new refresh token keeps the original scope', async () => {
    const { app, refreshToken } = await passwordToken()
    const narrowed = await (await refreshGrant(app, refreshToken, 'read')).json<Tokens>()
    expect(narrowed.scope).toBe('read')
    // The rotated refresh token still carries the original grant: it can ask for write again.
    const widened = await refreshGrant(app, narrowed.refresh_token, 'read write')
    expect(widened.status).toBe(200)
    expect((await widened.json<Tokens>()).scope).toBe('read write')
  })

  it('RFC 6749 §6: a scope wider than the grant → invalid_scope, and the refresh token stays usable', async () => {
    const { app, refreshToken } = await passwordToken('read')
    await expectOAuthError(await refreshGrant(app, refreshToken, 'read write'), 400, 'invalid_scope')
    expect((await refreshGrant(app, refreshToken)).status).toBe(200)
  })

  it('RFC 6749 §6: a refresh token works only for the client it was issued to', async () => {
    const { refreshToken } = await passwordToken()
    const other = await makeApplication()
    await expectOAuthError(await refreshGrant(other, refreshToken), 400, 'invalid_grant')
  })

  it('RFC 6749 §5.2: invalid_grant for an unknown, malformed or expired refresh token', async () => {
    const { app, refreshToken } = await passwordToken()
    await expectOAuthError(await refreshGrant(app, 'ert_nope'), 400, 'invalid_grant')
    const forged = `${refreshToken.slice(0, -10)}AAAA${refreshToken.slice(-6)}`
    await expectOAuthError(await refreshGrant(app, forged), 400, 'invalid_grant')
    await env.DB.prepare('UPDATE refresh_tokens SET expires_at = 1').run()
    await expectOAuthError(await refreshGrant(app, refreshToken), 400, 'invalid_grant')
  })

  it('RFC 6749 §5.2: invalid_request without refresh_token', async () => {
    const { app } = await passwordToken()
    const response = await postToken(
      form({ grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret ?? '' }),
    )
    await expectOAuthError(response, 400, 'invalid_request')
  })

  it('RFC 6749 §5.2: unauthorized_client for an application without a refreshing grant', async () => {
    const { refreshToken } = await passwordToken()
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    await expectOAuthError(await refreshGrant(app, refreshToken), 400, 'unauthorized_client')
  })

  it('RFC 9700 §4.14.2: reusing a rotated refresh token revokes the whole family', async () => {
    const { app, refreshToken } = await passwordToken()
    const second = await (await refreshGrant(app, refreshToken)).json<Tokens>()
    await expectOAuthError(await refreshGrant(app, refreshToken), 400, 'invalid_grant')
    // The legitimate successor and its access token are revoked too.
    expect((await hello(second.access_token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(app, second.refresh_token), 400, 'invalid_grant')
  })

  it('RFC 9700 §4.14.2: within REFRESH_TOKEN_GRACE_PERIOD_SECONDS a reuse is refused without revoking the family', async () => {
    const { app, refreshToken } = await passwordToken()
    const call = (body: string) =>
      fetchWithSettings(
        new Request('https://example.com/o/token/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        }),
        { REFRESH_TOKEN_GRACE_PERIOD_SECONDS: '30' },
      )
    const params = { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret ?? '' }
    const second = await (await call(form({ ...params, refresh_token: refreshToken }))).json<Tokens>()
    await expectOAuthError(await call(form({ ...params, refresh_token: refreshToken })), 400, 'invalid_grant')
    expect((await hello(second.access_token)).status).toBe(200)
    expect((await call(form({ ...params, refresh_token: second.refresh_token }))).status).toBe(200)
  })

  it('RFC 9700 §4.14.2: 20 concurrent redemptions of one refresh token → exactly one success', async () => {
    const { app, refreshToken } = await passwordToken()
    const responses = await Promise.all(Array.from({ length: 20 }, () => refreshGrant(app, refreshToken)))
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 400)).toHaveLength(19)
    let winner: Tokens | undefined
    for (const response of responses) {
      if (response.status === 400) expect((await response.json<{ error: string }>()).error).toBe('invalid_grant')
      else winner = await response.json<Tokens>()
    }
    // Every loser is a replay seen after the winner's redemption, which stored its tokens in the
    // same transaction: the family revocation always catches them, and no stray token is left.
    expect((await hello(winner?.access_token ?? '')).status).toBe(401)
    await expectOAuthError(await refreshGrant(app, winner?.refresh_token ?? ''), 400, 'invalid_grant')
    const live = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM access_tokens WHERE application_id = ? AND expires_at > unixepoch()',
    )
      .bind(app.id)
      .first<{ n: number }>()
    expect(live?.n).toBe(0)
  })
})
