/**
 * A client nobody here wrote: panva's oauth4webapi (strict, FAPI-minded), with its fetch pointed
 * at this Worker, drives pushed authorization requests (RFC 9126) and private_key_jwt client
 * authentication (RFC 7523) end to end: discovery, its own pushedAuthorizationRequest /
 * processPushedAuthorizationResponse, the browser step on the real /o/authorize/ (a logged-in
 * person approves), its own response validation, the code grant with PKCE, its own PrivateKeyJwt
 * assertions at the token, PAR, introspection and revocation endpoints, and the tokens at /api/hello.
 */
import { SELF } from 'cloudflare:test'
import { exportJWK, generateKeyPair } from 'jose'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import type { ApplicationGrant } from '../../src/oauth/applications.ts'
import { hello, login, makeApplication, makeUser, ORIGIN, postForm, REDIRECT_URI } from '../helpers.ts'

const ISSUER = new URL(ORIGIN)
const options = { [oauth.customFetch]: (url: string, init: RequestInit) => SELF.fetch(url, init) }

async function discover() {
  return oauth.processDiscoveryResponse(ISSUER, await oauth.discoveryRequest(ISSUER, options))
}

/** The person in the browser: opens the authorization URL logged in, approves; the redirect back. */
async function approveInBrowser(authorizationUrl: URL): Promise<URL> {
  const cookie = await login(await makeUser())
  const page = await SELF.fetch(authorizationUrl.href, { redirect: 'manual', headers: { Cookie: cookie } })
  expect(page.status).toBe(200)
  const html = await page.text()
  const fields = Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1], match[2]]),
  )
  const decision = await postForm('/o/authorize/', { ...fields, allow: 'Approve' }, { Cookie: cookie })
  expect(decision.status).toBe(302)
  return new URL(decision.headers.get('Location') ?? '')
}

/**
 * The whole pushed flow as oauth4webapi runs it: push (RFC 9126 §2), the browser with only
 * client_id and request_uri (§4), its validation of the response, the code grant with PKCE.
 */
async function pushedFlow(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  clientAuth: oauth.ClientAuth,
  scope: string,
) {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const pushed = await oauth.pushedAuthorizationRequest(
    as,
    client,
    clientAuth,
    {
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    },
    options,
  )
  const { request_uri, expires_in } = await oauth.processPushedAuthorizationResponse(as, client, pushed)
  expect(request_uri.startsWith('urn:ietf:params:oauth:request_uri:')).toBe(true)
  expect(expires_in).toBeGreaterThan(0)
  const authorizationUrl = new URL(as.authorization_endpoint ?? '')
  authorizationUrl.searchParams.set('client_id', client.client_id)
  authorizationUrl.searchParams.set('request_uri', request_uri)
  const params = oauth.validateAuthResponse(as, client, await approveInBrowser(authorizationUrl), state)
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    REDIRECT_URI,
    verifier,
    options,
  )
  return oauth.processAuthorizationCodeResponse(as, client, response)
}

describe('oauth4webapi: pushed authorization requests (RFC 9126)', () => {
  it('§2 and §4: push with client_secret_basic, authorize by request_uri, code + PKCE → tokens', async () => {
    const as = await discover()
    expect(as.pushed_authorization_request_endpoint).toBe(`${ORIGIN}/o/par/`)
    const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const client: oauth.Client = { client_id: app.clientId }
    const tokens = await pushedFlow(as, client, oauth.ClientSecretBasic(app.clientSecret ?? ''), 'read write')
    expect(tokens.scope).toBe('read write')
    expect((await hello(tokens.access_token)).status).toBe(200)
  })

  it('§2.3: a push without valid client authentication is refused; oauth4webapi reads the OAuth error', async () => {
    const as = await discover()
    const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const client: oauth.Client = { client_id: app.clientId }
    const response = await oauth.pushedAuthorizationRequest(
      as,
      client,
      oauth.ClientSecretBasic('not-the-secret'),
      { response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'read' },
      options,
    )
    const error = await oauth.processPushedAuthorizationResponse(as, client, response).catch((thrown) => thrown)
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect(response.status).toBe(401)
  })
})

/** A client holding only a key (its public half registered), and oauth4webapi's PrivateKeyJwt for it. */
async function keyClient(grantTypes: ApplicationGrant[]) {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const kid = crypto.randomUUID()
  const app = await makeApplication({
    grantTypes,
    redirectUris: [REDIRECT_URI],
    clientSecret: null,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
  })
  return {
    app,
    client: { client_id: app.clientId } as oauth.Client,
    clientAuth: oauth.PrivateKeyJwt({ key: privateKey, kid }),
  }
}

describe('oauth4webapi: private_key_jwt (RFC 7523 §2.2)', () => {
  it('client_credentials with only a key; introspection and revocation authenticated the same way', async () => {
    const as = await discover()
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    const { client, clientAuth } = await keyClient(['client-credentials'])
    const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, { scope: 'read' }, options)
    const tokens = await oauth.processClientCredentialsResponse(as, client, response)
    expect((await hello(tokens.access_token)).status).toBe(200)

    const introspection = await oauth.introspectionRequest(as, client, clientAuth, tokens.access_token, options)
    expect(await oauth.processIntrospectionResponse(as, client, introspection)).toMatchObject({ active: true })
    const revocation = await oauth.revocationRequest(as, client, clientAuth, tokens.access_token, options)
    await oauth.processRevocationResponse(revocation)
    expect((await hello(tokens.access_token)).status).toBe(401)
  })

  it('RFC 9126 with private_key_jwt: the push and the code grant, each with a fresh assertion', async () => {
    const as = await discover()
    const { client, clientAuth } = await keyClient(['authorization-code'])
    const tokens = await pushedFlow(as, client, clientAuth, 'read')
    expect((await hello(tokens.access_token)).status).toBe(200)
  })

  it('an assertion signed by a key the client does not hold is refused; oauth4webapi reads the 401', async () => {
    const as = await discover()
    const { client } = await keyClient(['client-credentials'])
    const stranger = await generateKeyPair('ES256')
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: 'unknown' }),
      { scope: 'read' },
      options,
    )
    expect(response.status).toBe(401)
    const error = await oauth.processClientCredentialsResponse(as, client, response).catch((thrown) => thrown)
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
  })
})
