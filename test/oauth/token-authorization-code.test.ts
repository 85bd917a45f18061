import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import {
  applicationTokenState,
  authorizationCode,
  cachedInKv,
  expectOAuthError,
  expectOneWinner,
  form,
  hello,
  inEveryTokenDatabase,
  makeApplication,
  pkcePair,
  postToken,
  RACERS,
  REDIRECT_URI,
  refreshGrant,
} from '../helpers.ts'

type Tokens = { access_token: string; refresh_token: string; scope: string }

describe('POST /o/token/ grant_type=authorization_code', () => {
  it('RFC 6749 §4.1.3/§4.1.4 + RFC 7636 §4.6: exchanges a code and verifier for tokens', async () => {
    const { params } = await authorizationCode()
    const response = await postToken(form(params))
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<Tokens>()
    expect(body.scope).toBe('read write')
    expect(body.refresh_token).toMatch(/^ert_/)
    expect((await hello(body.access_token)).status).toBe(200)
  })

  it('RFC 7636 §4.6: a public client redeems with client_id and the verifier alone', async () => {
    const { params } = await authorizationCode({ clientType: 'public' })
    expect((await postToken(form(params))).status).toBe(200)
  })

  it('RFC 7636 §4.5: a confidential client without PKCE is accepted', async () => {
    const { params } = await authorizationCode({ pkce: false })
    expect((await postToken(form(params))).status).toBe(200)
  })

  it('RFC 7636 §4.6: a wrong code_verifier → invalid_grant', async () => {
    const { params } = await authorizationCode()
    const other = await pkcePair()
    await expectOAuthError(await postToken(form({ ...params, code_verifier: other.verifier })), 400, 'invalid_grant')
  })

  it('RFC 7636 §4.5: a missing code_verifier → invalid_grant', async () => {
    const { params } = await authorizationCode()
    const { code_verifier: _, ...rest } = params
    await expectOAuthError(await postToken(form(rest)), 400, 'invalid_grant')
  })

  it('RFC 9700 §4.8.2: a code_verifier for a code issued without a challenge → invalid_grant', async () => {
    const { params } = await authorizationCode({ pkce: false })
    const { verifier } = await pkcePair()
    await expectOAuthError(await postToken(form({ ...params, code_verifier: verifier })), 400, 'invalid_grant')
  })

  it('RFC 6749 §4.1.3: a redirect_uri differing from the authorization request → invalid_grant', async () => {
    const { params } = await authorizationCode()
    await expectOAuthError(
      await postToken(form({ ...params, redirect_uri: `${REDIRECT_URI}/other` })),
      400,
      'invalid_grant',
    )
    const { redirect_uri: _, ...rest } = params
    await expectOAuthError(await postToken(form(rest)), 400, 'invalid_grant')
  })

  it('RFC 6749 §4.1.3: a code issued to another client → invalid_grant', async () => {
    const { params } = await authorizationCode()
    const other = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const response = await postToken(
      form({ ...params, client_id: other.clientId, client_secret: other.clientSecret ?? '' }),
    )
    await expectOAuthError(response, 400, 'invalid_grant')
    // RFC 9700 §4.5: the refused attempt spent the code (test/hardening/code-redemption.test.ts).
    await expectOAuthError(await postToken(form(params)), 400, 'invalid_grant')
  })

  it('RFC 6749 §4.1.2: an expired code → invalid_grant', async () => {
    const { params } = await authorizationCode()
    await inEveryTokenDatabase('UPDATE authorization_codes SET expires_at = 1')
    await expectOAuthError(await postToken(form(params)), 400, 'invalid_grant')
  })

  it('RFC 6749 §5.2: an unknown or malformed code → invalid_grant; a missing one → invalid_request', async () => {
    const { params } = await authorizationCode()
    await expectOAuthError(await postToken(form({ ...params, code: 'eac_nope' })), 400, 'invalid_grant')
    const forged = `${params.code.slice(0, -10)}AAAA${params.code.slice(-6)}`
    await expectOAuthError(await postToken(form({ ...params, code: forged })), 400, 'invalid_grant')
    const { code: _, ...rest } = params
    await expectOAuthError(await postToken(form(rest)), 400, 'invalid_request')
  })

  it('RFC 6749 §5.2: unauthorized_client when the application lacks the authorization-code grant', async () => {
    const { params } = await authorizationCode()
    await env.DB.prepare(`UPDATE applications SET grant_types = '["password"]'`).run()
    await expectOAuthError(await postToken(form(params)), 400, 'unauthorized_client')
  })

  it('RFC 6749 §4.1.2: a second redemption → invalid_grant and revokes every token issued from the code', async () => {
    const { app, params } = await authorizationCode()
    const first = await (await postToken(form(params))).json<Tokens>()
    // Tokens rotated from the code's refresh token belong to the same grant.
    const rotated = await (await refreshGrant(app, first.refresh_token)).json<Tokens>()
    expect((await hello(rotated.access_token)).status).toBe(200)
    await expectOAuthError(await postToken(form(params)), 400, 'invalid_grant')
    expect((await hello(rotated.access_token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(app, rotated.refresh_token), 400, 'invalid_grant')
  })

  it('RFC 6749 §4.1.2: 50 concurrent redemptions of one code → one success, 49 invalid_grant, consistent tables', async () => {
    const { app, params } = await authorizationCode()
    const responses = await Promise.all(Array.from({ length: RACERS }, () => postToken(form(params))))
    const winner = await expectOneWinner(responses)
    // The losers are second redemptions, seen after the winner's tokens were stored: §4.1.2
    // revokes everything issued from the code, the winner's tokens included.
    expect((await hello(winner.access_token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(app, winner.refresh_token), 400, 'invalid_grant')
    expect(await cachedInKv(winner.access_token)).toBe(false)
    const state = await applicationTokenState(app.id)
    expect(state.access).toEqual([])
    // One token set was ever kept (the losers' rows went in their own transaction), now revoked.
    expect(state.refresh).toEqual([
      expect.objectContaining({ token_hash: await sha256Hex(winner.refresh_token), revoked_at: expect.any(Number) }),
    ])
    expect(state.orphans).toEqual({ danglingRefresh: 0, loneAccess: 0 })
    const [redeemed] = await inEveryTokenDatabase<{ redeemed_at: number | null }>(
      'SELECT redeemed_at FROM authorization_codes WHERE code_hash = unhex(?)',
      await sha256Hex(params.code),
    )
    expect(redeemed?.redeemed_at).toEqual(expect.any(Number))
  })
})
