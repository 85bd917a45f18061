/**
 * A client nobody here wrote: panva's oauth4webapi (strict, FAPI-minded), with its fetch pointed
 * at this Worker, drives pushed authorization requests (RFC 9126) end to end: discovery, its own
 * pushedAuthorizationRequest / processPushedAuthorizationResponse, the browser step on the real
 * /o/authorize/ (a logged-in person approves), its own response validation, the code grant with
 * PKCE, and the tokens at /api/hello.
 */
import { SELF } from 'cloudflare:test'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
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

describe('oauth4webapi: pushed authorization requests (RFC 9126)', () => {
  it('§2 and §4: push with client_secret_basic, authorize by request_uri, code + PKCE → tokens', async () => {
    const as = await discover()
    expect(as.pushed_authorization_request_endpoint).toBe(`${ORIGIN}/o/par/`)
    const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const client: oauth.Client = { client_id: app.clientId }
    const clientAuth = oauth.ClientSecretBasic(app.clientSecret ?? '')

    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const pushed = await oauth.pushedAuthorizationRequest(
      as,
      client,
      clientAuth,
      {
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'read write',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      },
      options,
    )
    const { request_uri, expires_in } = await oauth.processPushedAuthorizationResponse(as, client, pushed)
    expect(request_uri.startsWith('urn:ietf:params:oauth:request_uri:')).toBe(true)
    expect(expires_in).toBeGreaterThan(0)

    // §4: the browser carries only client_id and request_uri.
    const authorizationUrl = new URL(as.authorization_endpoint ?? '')
    authorizationUrl.searchParams.set('client_id', app.clientId)
    authorizationUrl.searchParams.set('request_uri', request_uri)
    const callback = await approveInBrowser(authorizationUrl)

    const params = oauth.validateAuthResponse(as, client, callback, state)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      REDIRECT_URI,
      verifier,
      options,
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response)
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
