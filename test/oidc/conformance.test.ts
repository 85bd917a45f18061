/**
 * oauth4webapi (a strict OIDC client) against this server: discovery, the password grant with
 * openid scopes and UserInfo, and the whole relying-party flow — authorization code + PKCE +
 * nonce through the real /o/authorize/ with a logged-in user, its own ID Token validation,
 * UserInfo, refresh (with a new id_token) and revocation.
 */
import { SELF } from 'cloudflare:test'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { getPage, login, makeApplication, makeUser, postForm, REDIRECT_URI } from '../helpers.ts'

const ISSUER = new URL('https://example.com')
// Every request oauth4webapi makes goes to this Worker.
const options = { [oauth.customFetch]: (url: string, init: RequestInit) => SELF.fetch(url, init) }

async function discover() {
  return oauth.processDiscoveryResponse(ISSUER, await oauth.discoveryRequest(ISSUER, { ...options, algorithm: 'oidc' }))
}

async function passwordGrant(as: oauth.AuthorizationServer, scope: string) {
  const user = await makeUser()
  const app = await makeApplication()
  const client: oauth.Client = { client_id: app.clientId }
  const response = await oauth.genericTokenEndpointRequest(
    as,
    client,
    oauth.ClientSecretBasic(app.clientSecret ?? ''),
    'password',
    { username: user.username, password: user.plainPassword, scope },
    options,
  )
  return { user, app, client, tokens: await oauth.processGenericTokenEndpointResponse(as, client, response) }
}

describe('oauth4webapi conformance', () => {
  it('OIDC Discovery 1.0 §4: the discovery document passes oauth4webapi validation', async () => {
    const as = await discover()
    expect(as.issuer).toBe('https://example.com')
    expect(as.userinfo_endpoint).toBe('https://example.com/o/userinfo/')
    expect(as.jwks_uri).toBe('https://example.com/o/.well-known/jwks.json')
  })

  it('OIDC Core §5.3: password grant with openid scopes, then UserInfo with the subject check', async () => {
    const as = await discover()
    const { user, client, tokens } = await passwordGrant(as, 'openid profile email')
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.scope).toBe('openid profile email')
    const response = await oauth.userInfoRequest(as, client, tokens.access_token, options)
    const claims = await oauth.processUserInfoResponse(as, client, String(user.id), response)
    expect(claims).toEqual({
      sub: String(user.id),
      preferred_username: user.username,
      email: 'user@example.com',
      email_verified: false,
    })
  })

  it('RFC 6750 §3.1: oauth4webapi reads the insufficient_scope challenge of UserInfo', async () => {
    const as = await discover()
    const { client, tokens } = await passwordGrant(as, 'read')
    const response = await oauth.userInfoRequest(as, client, tokens.access_token, options)
    const error = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, response).catch((e) => e)
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect((error as oauth.WWWAuthenticateChallengeError).cause[0]).toMatchObject({
      scheme: 'bearer',
      parameters: { error: 'insufficient_scope', scope: 'openid' },
    })
  })

  it('OIDC Core §3.1 + §12: authorization code + PKCE + nonce through /o/authorize/, then userinfo, refresh with an id_token, revocation', async () => {
    const as = await discover()
    const user = await makeUser()
    const app = await makeApplication({
      grantTypes: ['authorization-code'],
      redirectUris: [REDIRECT_URI],
      algorithm: 'RS256',
    })
    const client: oauth.Client = { client_id: app.clientId }
    const clientAuth = oauth.ClientSecretBasic(app.clientSecret ?? '')

    // The relying party's authorization request.
    const verifier = oauth.generateRandomCodeVerifier()
    const nonce = oauth.generateRandomNonce()
    const state = oauth.generateRandomState()
    const authorizationUrl = new URL(as.authorization_endpoint ?? '')
    authorizationUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      max_age: '300',
    }).toString()

    // The user: logs in through /accounts/login/, then approves on the consent page.
    const cookie = await login(user)
    const consent = await getPage(authorizationUrl.pathname + authorizationUrl.search, cookie)
    expect(consent.status).toBe(200)
    const approved = await postForm(
      '/o/authorize/',
      { ...Object.fromEntries(authorizationUrl.searchParams), allow: 'Approve' },
      { Cookie: cookie },
    )
    expect(approved.status).toBe(302)
    const callback = new URL(approved.headers.get('Location') ?? '')
    const params = oauth.validateAuthResponse(as, client, callback, state)

    const codeResponse = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      REDIRECT_URI,
      verifier,
      options,
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, codeResponse, {
      expectedNonce: nonce,
      maxAge: 300,
      requireIdToken: true,
    })
    const claims = oauth.getValidatedIdTokenClaims(tokens)
    expect(claims).toMatchObject({ iss: as.issuer, sub: String(user.id), aud: app.clientId, nonce })
    expect(claims?.preferred_username).toBe(user.username)
    expect(tokens.refresh_token).toEqual(expect.any(String))
    // Its JWS signature check against the jwks_uri (optional for the code flow, done anyway).
    await oauth.validateApplicationLevelSignature(as, codeResponse, options)

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      String(user.id),
      await oauth.userInfoRequest(as, client, tokens.access_token, options),
    )
    expect(info.preferred_username).toBe(user.username)

    // OIDC Core §12.2: the refreshed id_token keeps sub and auth_time, carries no nonce.
    const refreshResponse = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuth,
      tokens.refresh_token ?? '',
      options,
    )
    const refreshed = await oauth.processRefreshTokenResponse(as, client, refreshResponse)
    await oauth.validateApplicationLevelSignature(as, refreshResponse, options)
    const refreshedClaims = oauth.getValidatedIdTokenClaims(refreshed)
    expect(refreshedClaims).toMatchObject({ sub: String(user.id), auth_time: claims?.auth_time })
    expect(refreshedClaims?.nonce).toBeUndefined()

    // RFC 7009: a revoked refresh token no longer refreshes.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token ?? '', options),
    )
    const retry = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token ?? '', options)
    const error = await oauth.processRefreshTokenResponse(as, client, retry).catch((e) => e)
    expect(error).toBeInstanceOf(oauth.ResponseBodyError)
    expect((error as oauth.ResponseBodyError).error).toBe('invalid_grant')
  })
})
