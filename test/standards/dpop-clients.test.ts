/**
 * DPoP (RFC 9449) driven by clients nobody here wrote, with server nonces required
 * (DPOP_REQUIRE_NONCE): panva's oauth4webapi with its DPoP() handle — the code grant of a public
 * client, the nonce retry its docs prescribe (isDPoPNonceError), the resource request with the
 * cached nonce, the refresh with the same key — and openid-client, whose DPoP handle retries on
 * use_dpop_nonce by itself, at the token endpoint and at a resource.
 */
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { authorizationCode, fetchWithSettings, makeApplication, ORIGIN, REDIRECT_URI } from '../helpers.ts'

const ISSUER = new URL(ORIGIN)
const NONCES = { DPOP_REQUIRE_NONCE: 'true' }

/** Every request the clients send goes to the Worker with nonces required; `log` records "METHOD /path status". */
function workerFetch(log: string[]) {
  return async (url: string | URL, init: RequestInit = {}) => {
    const request = new Request(url, init)
    const response = await fetchWithSettings(request, NONCES)
    log.push(`${request.method} ${new URL(request.url).pathname} ${response.status}`)
    return response
  }
}

/** oauth4webapi's documented pattern: run a request once more when the answer asks for a (new) nonce. */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt()
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error
    return attempt()
  }
}

describe('oauth4webapi: DPoP with its DPoP() handle, nonces required', () => {
  it('§5, §8: code grant of a public client (nonce retry), §7, §9: the API with the cached nonce, §5: refresh with the same key', async () => {
    const log: string[] = []
    const options = { [oauth.customFetch]: workerFetch(log) }
    const as = await oauth.processDiscoveryResponse(ISSUER, await oauth.discoveryRequest(ISSUER, options))
    expect(as.dpop_signing_alg_values_supported).toContain('ES256')

    const { app, code, pkce } = await authorizationCode({ clientType: 'public' })
    const oauthClient: oauth.Client = { client_id: app.clientId, token_endpoint_auth_method: 'none' }
    const DPoP = oauth.DPoP(oauthClient, await oauth.generateKeyPair('ES256'))
    // The browser came back from /o/authorize/ with the code (RFC 9207: and the issuer).
    const callback = new URL(`${REDIRECT_URI}?${new URLSearchParams({ code, iss: ORIGIN })}`)
    const params = oauth.validateAuthResponse(as, oauthClient, callback, oauth.skipStateCheck)
    const tokens = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        oauthClient,
        await oauth.authorizationCodeGrantRequest(as, oauthClient, oauth.None(), params, REDIRECT_URI, pkce.verifier, {
          ...options,
          DPoP,
        }),
      ),
    )
    expect(tokens.token_type).toBe('dpop')
    expect(log).toEqual(['GET /.well-known/openid-configuration 200', 'POST /o/token/ 400', 'POST /o/token/ 200'])

    // The nonce the token endpoint gave is this origin's: the API takes it at once.
    const hello = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(`${ORIGIN}/api/hello`),
      new Headers(),
      null,
      { ...options, DPoP },
    )
    expect(hello.status).toBe(200)
    expect(await hello.text()).toBe('Hello, OAuth2!')

    // Without the key the token is useless: sent as Bearer, it is refused with a DPoP challenge.
    const stolen = await oauth
      .protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(`${ORIGIN}/api/hello`),
        new Headers(),
        null,
        options,
      )
      .catch((error) => error)
    expect(stolen).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect((stolen as oauth.WWWAuthenticateChallengeError).cause.some((c) => c.scheme === 'dpop')).toBe(true)

    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        oauthClient,
        await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.None(), tokens.refresh_token ?? '', {
          ...options,
          DPoP,
        }),
      ),
    )
    expect(refreshed.token_type).toBe('dpop')
    // With another key the refresh token is refused (RFC 9449 §5: bound to the first key).
    const otherKey = oauth.DPoP(oauthClient, await oauth.generateKeyPair('ES256'))
    const stranger = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        oauthClient,
        await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.None(), refreshed.refresh_token ?? '', {
          ...options,
          DPoP: otherKey,
        }),
      ),
    ).catch((error) => error)
    expect(stranger).toBeInstanceOf(oauth.ResponseBodyError)
    expect((stranger as oauth.ResponseBodyError).error).toBe('invalid_grant')
  })
})

/** GET /api/hello by openid-client's fetchProtectedResource, with its DPoP handle (RFC 9449 §7). */
function fetchHello(config: client.Configuration, accessToken: string, DPoP: client.DPoPHandle) {
  return client.fetchProtectedResource(
    config,
    accessToken,
    new URL(`${ORIGIN}/api/hello`),
    'GET',
    undefined,
    undefined,
    {
      DPoP,
    },
  )
}

describe('openid-client: DPoP with getDPoPHandle, nonces required', () => {
  it('§5: client_credentials and §7: a protected resource, each nonce retry made by the client itself', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const log: string[] = []
    const config = await client.discovery(ISSUER, app.clientId, app.clientSecret ?? '', undefined, {
      [client.customFetch]: workerFetch(log) as client.CustomFetch,
    })
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' }, { DPoP })
    expect(tokens.token_type).toBe('dpop')
    const response = await fetchHello(config, tokens.access_token, DPoP)
    expect(response.status).toBe(200)
    expect(log.filter((entry) => entry.startsWith('POST /o/token/'))).toEqual([
      'POST /o/token/ 400',
      'POST /o/token/ 200',
    ])
    expect(log.at(-1)).toBe('GET /api/hello 200')
  })

  it('§9: a resource asking for a new nonce gets it from the client’s own retry', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const log: string[] = []
    // Tokens without nonces, then the resource requires one: the first call is refused with use_dpop_nonce.
    const config = await client.discovery(ISSUER, app.clientId, app.clientSecret ?? '', undefined, {
      [client.customFetch]: (async (url: string, init: RequestInit) => {
        const request = new Request(url, init)
        const path = new URL(request.url).pathname
        const response = await fetchWithSettings(request, path.startsWith('/api/') ? NONCES : {})
        log.push(`${request.method} ${path} ${response.status}`)
        return response
      }) as client.CustomFetch,
    })
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' }, { DPoP })
    const response = await fetchHello(config, tokens.access_token, DPoP)
    expect(response.status).toBe(200)
    expect(log.slice(-2)).toEqual(['GET /api/hello 401', 'GET /api/hello 200'])
  })
})
