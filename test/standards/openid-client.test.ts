/**
 * A client nobody here wrote: panva's `openid-client` (v6), run inside the Workers runtime with
 * its `customFetch` pointed at this Worker. It discovers the server (OIDC Discovery and RFC 8414),
 * runs the device authorization grant with its own device-flow API (RFC 8628: it paces its polls
 * and reads authorization_pending / access_denied itself) while a person answers on the real
 * /o/device/ page, and registers itself by RFC 7591 before a code grant; the registration is then
 * read, updated and deleted by RFC 7592 with plain fetch.
 */
import { exportJWK, generateKeyPair } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { DEVICE_CODE_GRANT } from '../../src/db/schema.ts'
import { fetchWithSettings, form, hello, login, makeApplication, makeUser, ORIGIN, postForm } from '../helpers.ts'

// Registration open (as an MCP deployment sets it), and a 1-second polling interval so that
// openid-client's own pacing (it waits `interval` before each poll) keeps the test short.
const SETTINGS = { CLIENT_REGISTRATION: 'open', DEVICE_CODE_INTERVAL_SECONDS: '1' }
const SLOW = { timeout: 30_000 }
const ISSUER = new URL(ORIGIN)
const REDIRECT_URI = 'https://client.example.org/callback'

/**
 * openid-client's fetch: every request goes to the Worker; each answer is logged as
 * "METHOD /path status", with the OAuth error code of a 400, and handed to `onLogged`.
 */
function workerFetch(log: string[], onLogged: (entry: string) => void = () => {}): client.CustomFetch {
  return async (url, options) => {
    const request = new Request(url, { method: options.method, headers: options.headers, body: options.body })
    const response = await fetchWithSettings(request, SETTINGS)
    const error = response.status === 400 ? ` ${(await response.clone().json<{ error: string }>()).error}` : ''
    const entry = `${request.method} ${new URL(request.url).pathname} ${response.status}${error}`
    log.push(entry)
    onLogged(entry)
    return response
  }
}

/** A logged-in person on /o/device/: types the code, answers. */
async function answerOnDevicePage(cookie: string, userCode: string, decision: 'approve' | 'deny') {
  const response = await postForm('/o/device/', { user_code: userCode, decision }, { Cookie: cookie })
  expect(response.status).toBe(200)
  expect(await response.text()).toContain(decision === 'approve' ? 'Device connected' : 'Request denied')
}

/** A person on the consent page: logged in, approves. Returns where the server sent the browser back. */
async function approveConsent(authorizationUrl: URL, clientName: string): Promise<URL> {
  const cookie = await login(await makeUser())
  const page = await fetchWithSettings(new Request(authorizationUrl.href, { headers: { Cookie: cookie } }), SETTINGS)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain(clientName)
  const decision = await fetchWithSettings(
    new Request(`${ORIGIN}/o/authorize/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ ...Object.fromEntries(authorizationUrl.searchParams), allow: 'Approve' }),
    }),
    SETTINGS,
  )
  expect(decision.status).toBe(302)
  return new URL(decision.headers.get('Location') ?? '')
}

/** What openid-client throws for an OAuth error answer: its `error` code (RFC 6749 §5.2). */
async function oauthErrorOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  )
  if (error instanceof client.ResponseBodyError) return error.error
  if (error instanceof client.WWWAuthenticateChallengeError) {
    return ((await error.response.json()) as { error: string }).error
  }
  throw new Error(`expected an OAuth error, got ${String(error)}`)
}

describe('openid-client: the device authorization grant (RFC 8628) with its device-flow API', () => {
  it(
    '§3.4/§3.5: discovery, initiateDeviceAuthorization, polling through authorization_pending; the user approves on /o/device/; the tokens call /api/hello',
    SLOW,
    async () => {
      const app = await makeApplication({ name: 'TV', clientType: 'public', grantTypes: [DEVICE_CODE_GRANT] })
      const log: string[] = []
      let toldToWait = () => {}
      const pending = new Promise<void>((resolve) => {
        toldToWait = resolve
      })
      const onLogged = (entry: string) => {
        if (entry === 'POST /o/token/ 400 authorization_pending') toldToWait()
      }
      const config = await client.discovery(ISSUER, app.clientId, undefined, client.None(), {
        [client.customFetch]: workerFetch(log, onLogged),
      })
      expect(config.serverMetadata().device_authorization_endpoint).toBe(`${ORIGIN}/o/device-authorization/`)

      const cookie = await login(await makeUser())
      const device = await client.initiateDeviceAuthorization(config, { scope: 'read write' })
      expect(device.interval).toBe(1)
      const polling = client.pollDeviceAuthorizationGrant(config, device)
      // Awaited below; a rejection before then is not an unhandled one.
      polling.catch(() => undefined)
      // The user answers only after the client has been told to keep waiting at least once
      // (a polling that fails first fails the test with openid-client's error).
      await Promise.race([pending, polling])
      await answerOnDevicePage(cookie, device.user_code, 'approve')
      const tokens = await polling

      // Paced by the interval it was given, the client is never told slow_down.
      const [discovery, started, ...polls] = log
      expect([discovery, started]).toEqual([
        'GET /.well-known/openid-configuration 200',
        'POST /o/device-authorization/ 200',
      ])
      expect(polls.at(-1)).toBe('POST /o/token/ 200')
      expect(polls.length).toBeGreaterThan(1)
      for (const pending of polls.slice(0, -1)) expect(pending).toBe('POST /o/token/ 400 authorization_pending')
      expect(tokens.token_type).toBe('bearer')
      expect(tokens.scope).toBe('read write')
      expect(tokens.expiresIn()).toBeGreaterThan(0)
      const response = await hello(tokens.access_token)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('Hello, OAuth2!')
    },
  )

  it(
    '§3.5: a denied code ends openid-client’s polling with access_denied (a confidential client, client_secret_basic)',
    SLOW,
    async () => {
      const app = await makeApplication({ name: 'TV', clientType: 'confidential', grantTypes: [DEVICE_CODE_GRANT] })
      const log: string[] = []
      const config = await client.discovery(
        ISSUER,
        app.clientId,
        undefined,
        client.ClientSecretBasic(app.clientSecret ?? ''),
        {
          [client.customFetch]: workerFetch(log),
        },
      )
      const cookie = await login(await makeUser())
      const device = await client.initiateDeviceAuthorization(config, { scope: 'read' })
      const polling = client.pollDeviceAuthorizationGrant(config, device)
      await answerOnDevicePage(cookie, device.user_code, 'deny')
      expect(await oauthErrorOf(polling)).toBe('access_denied')
      expect(log.at(-1)).toBe('POST /o/token/ 400 access_denied')
    },
  )
})

describe('openid-client: dynamic client registration (RFC 7591), then RFC 7592 with plain fetch', () => {
  it(
    'registers, completes a code grant with its new credentials, is read, updated, and deleted: then invalid_client',
    SLOW,
    async () => {
      const log: string[] = []
      const fetchFn = workerFetch(log)
      const config = await client.dynamicClientRegistration(
        ISSUER,
        {
          client_name: 'openid-client test',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        client.ClientSecretBasic(),
        { [client.customFetch]: fetchFn, algorithm: 'oauth2' },
      )
      expect(log).toEqual(['GET /.well-known/oauth-authorization-server 200', 'POST /o/register/ 201'])
      const registered = config.clientMetadata()
      expect(registered.client_secret).toEqual(expect.any(String))
      const configurationUri = String(registered.registration_client_uri)
      const management = { Authorization: `Bearer ${registered.registration_access_token}` }

      // The code grant with PKCE through the real consent page; openid-client checks state and RFC 9207 iss.
      const verifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'read',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      })
      const callback = await approveConsent(authorizationUrl, 'openid-client test')
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      })
      expect(tokens.scope).toBe('read')
      expect((await hello(tokens.access_token)).status).toBe(200)

      // RFC 7592 §2.1: read.
      const read = await fetchFn(configurationUri, {
        method: 'GET',
        headers: management,
        body: undefined,
        redirect: 'manual',
      })
      expect(read.status).toBe(200)
      expect(await read.json()).toMatchObject({
        client_id: config.clientMetadata().client_id,
        client_name: 'openid-client test',
      })

      // §2.2: update; the credentials stay, so openid-client refreshes with them.
      const updated = await fetchFn(configurationUri, {
        method: 'PUT',
        headers: { ...management, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: registered.client_id,
          client_name: 'openid-client renamed',
          redirect_uris: [REDIRECT_URI, 'https://client.example.org/second'],
          token_endpoint_auth_method: 'client_secret_basic',
        }),
        redirect: 'manual',
      })
      expect(updated.status).toBe(200)
      expect(await updated.json()).toMatchObject({
        client_name: 'openid-client renamed',
        redirect_uris: [REDIRECT_URI, 'https://client.example.org/second'],
      })
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '')
      expect((await hello(refreshed.access_token)).status).toBe(200)

      // §2.3: delete; the client is gone: its credentials are invalid_client, its tokens and registration token dead.
      const deleted = await fetchFn(configurationUri, {
        method: 'DELETE',
        headers: management,
        body: undefined,
        redirect: 'manual',
      })
      expect(deleted.status).toBe(204)
      expect(await oauthErrorOf(client.refreshTokenGrant(config, refreshed.refresh_token ?? ''))).toBe('invalid_client')
      expect((await hello(refreshed.access_token)).status).toBe(401)
      const gone = await fetchFn(configurationUri, {
        method: 'GET',
        headers: management,
        body: undefined,
        redirect: 'manual',
      })
      expect(gone.status).toBe(401)
    },
  )
})

describe('openid-client: private_key_jwt (RFC 7523 §2.2) for a machine-to-machine client', () => {
  it('discovery with client.PrivateKeyJwt, then clientCredentialsGrant: the token works at /api/hello', async () => {
    const { publicKey, privateKey } = await generateKeyPair('PS256')
    const kid = crypto.randomUUID()
    const app = await makeApplication({
      name: 'M2M',
      grantTypes: ['client-credentials'],
      clientSecret: null,
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid }] },
    })
    const log: string[] = []
    const config = await client.discovery(
      ISSUER,
      app.clientId,
      undefined,
      client.PrivateKeyJwt({ key: privateKey, kid }),
      {
        [client.customFetch]: workerFetch(log),
      },
    )
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' })
    expect(tokens.scope).toBe('read')
    expect((await hello(tokens.access_token)).status).toBe(200)
    // A second grant: a fresh assertion (its own jti) each time.
    expect((await client.clientCredentialsGrant(config, { scope: 'read' })).access_token).not.toBe(tokens.access_token)
    expect(log.filter((line) => line.startsWith('POST /o/token/'))).toEqual([
      'POST /o/token/ 200',
      'POST /o/token/ 200',
    ])
  })
})
