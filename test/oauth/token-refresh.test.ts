import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import {
  applicationTokenState,
  cachedInKv,
  expectOAuthError,
  expectOneWinner,
  fetchWithSettings,
  form,
  hello,
  inEveryTokenDatabase,
  makeApplication,
  passwordToken,
  postToken,
  RACERS,
  refreshGrant,
} from '../helpers.ts'

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
    await inEveryTokenDatabase('UPDATE refresh_tokens SET expires_at = 1')
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

  it('RFC 9700 §4.14.2: 50 concurrent uses of one refresh token → one success, 49 invalid_grant, consistent tables', async () => {
    const { app, token, refreshToken } = await passwordToken()
    const responses = await Promise.all(Array.from({ length: RACERS }, () => refreshGrant(app, refreshToken)))
    const winner = await expectOneWinner(responses)
    // Every loser is a replay seen after the winner's redemption, which stored its tokens in the
    // same transaction: the family revocation always catches them, and no stray token is left.
    expect((await hello(winner.access_token)).status).toBe(401)
    expect((await hello(token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(app, winner.refresh_token), 400, 'invalid_grant')
    expect(await cachedInKv(winner.access_token)).toBe(false)
    const state = await applicationTokenState(app.id)
    expect(state.access).toEqual([])
    // The original and the one rotated from it: no loser left a row behind.
    expect(state.refresh.map((row) => row.token_hash)).toEqual([
      await sha256Hex(refreshToken),
      await sha256Hex(winner.refresh_token),
    ])
    expect(state.refresh.every((row) => row.revoked_at !== null)).toBe(true)
    expect(new Set(state.refresh.map((row) => row.family_id)).size).toBe(1)
    expect(state.orphans).toEqual({ danglingRefresh: 0, loneAccess: 0 })
  })

  it('50 concurrent uses within REFRESH_TOKEN_GRACE_PERIOD_SECONDS → one success, one live token set left', async () => {
    const { app, token, refreshToken } = await passwordToken()
    const params = { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret ?? '' }
    const call = () =>
      fetchWithSettings(
        new Request('https://example.com/o/token/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form({ ...params, refresh_token: refreshToken }),
        }),
        { REFRESH_TOKEN_GRACE_PERIOD_SECONDS: '30' },
      )
    const winner = await expectOneWinner(await Promise.all(Array.from({ length: RACERS }, call)))
    // Parallel retries inside the grace period are not theft: the winner's set stays live.
    expect((await hello(winner.access_token)).status).toBe(200)
    expect((await hello(token)).status).toBe(401)
    const state = await applicationTokenState(app.id)
    expect(state.access.map((row) => row.token_hash)).toEqual([await sha256Hex(winner.access_token)])
    expect(state.refresh).toEqual([
      expect.objectContaining({ token_hash: await sha256Hex(refreshToken), revoked_at: expect.any(Number) }),
      expect.objectContaining({
        token_hash: await sha256Hex(winner.refresh_token),
        access_token_id: state.access[0]?.id,
        revoked_at: null,
      }),
    ])
    expect(state.orphans).toEqual({ danglingRefresh: 0, loneAccess: 0 })
  })
})
