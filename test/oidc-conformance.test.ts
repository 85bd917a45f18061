/**
 * oauth4webapi (a strict OIDC client) against this server: discovery, the password grant with
 * openid scopes, UserInfo, and our id_tokens through its ID Token validation and JWKS signature
 * check. The authorization-code part of the conformance flow needs /o/authorize/ and joins here
 * with the authorization_code grant.
 */
import { env, SELF } from 'cloudflare:test'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { loadSigningKeys } from '../src/crypto/signing-keys.ts'
import { createIdToken } from '../src/oauth/oidc/id-token.ts'
import { makeApplication, makeUser } from './helpers.ts'

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

  it('OIDC Core §3.1.3.7: an id_token from createIdToken passes oauth4webapi ID Token validation and its JWKS signature check', async () => {
    const as = await discover()
    const user = await makeUser()
    const client: oauth.Client = { client_id: 'rp-client' }
    const accessToken = 'eat_conformance'
    const idToken = await createIdToken({
      keys: await loadSigningKeys(env.OIDC_SIGNING_KEYS),
      issuer: as.issuer,
      clientId: client.client_id,
      user,
      scopes: ['openid'],
      nonce: 'nonce-123',
      authTime: Math.floor(Date.now() / 1000) - 5,
      accessToken,
      algorithm: 'RS256',
      lifetime: 300,
    })
    // The token response the authorization_code grant will send; built here until that grant exists.
    const response = Response.json({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 60,
      id_token: idToken,
    })
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: 'nonce-123',
      maxAge: 60,
      requireIdToken: true,
    })
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ sub: String(user.id), nonce: 'nonce-123' })
    await oauth.validateApplicationLevelSignature(as, response, options)
  })
})
