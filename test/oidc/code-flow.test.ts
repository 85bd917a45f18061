/**
 * OpenID Connect over the real authorization server: every id_token of the authorization_code
 * and refresh_token grants verified against the published JWKS with jose (signature, iss, aud,
 * exp, nonce, at_hash, auth_time), and /o/authorize/'s prompt, max_age and login_hint.
 */
import { env, SELF } from 'cloudflare:test'
import { serializeSigned } from 'hono/utils/cookie'
import {
  base64url,
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose'
import { describe, expect, it } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { generateSigningKeySet, type SigningAlgorithm } from '../../src/crypto/signing-keys.ts'
import {
  fetchWithSettings,
  form,
  getPage,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  pkcePair,
  postForm,
  postToken,
  REDIRECT_URI,
  refreshGrant,
} from '../helpers.ts'

const ID_TOKEN_LIFETIME = getConfig(env).idTokenLifetime

/** The key set a relying party fetches: the published JWKS, read over HTTP for every check. */
async function publishedJwks(settings?: Record<string, string>) {
  const url = `${ORIGIN}/o/.well-known/jwks.json`
  const response = settings ? await fetchWithSettings(new Request(url), settings) : await SELF.fetch(url)
  return createLocalJWKSet(await response.json<JSONWebKeySet>())
}

type TokenBody = { access_token: string; refresh_token: string; id_token?: string; scope: string }

async function setup(
  options: {
    algorithm?: SigningAlgorithm
    skipAuthorization?: boolean
    grantTypes?: ('authorization-code' | 'password')[]
  } = {},
) {
  const user = await makeUser()
  const app = await makeApplication({
    grantTypes: options.grantTypes ?? ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    algorithm: options.algorithm,
    skipAuthorization: options.skipAuthorization,
  })
  const pkce = await pkcePair()
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state: 'st-1',
    nonce: 'n-0S6_WzA2Mj',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }
  return { user, app, pkce, params }
}

type Setup = Awaited<ReturnType<typeof setup>>

const authorizeUrl = (params: Record<string, string>) => `/o/authorize/?${new URLSearchParams(params)}`

function location(response: Response): URL {
  expect(response.status).toBe(302)
  return new URL(response.headers.get('Location') ?? '', ORIGIN)
}

/** Approves the request on the consent page and redeems the code. */
async function codeTokens(flow: Setup, cookie: string, params = flow.params): Promise<TokenBody> {
  const approved = location(await postForm('/o/authorize/', { ...params, allow: 'Approve' }, { Cookie: cookie }))
  const code = approved.searchParams.get('code') ?? ''
  expect(code).not.toBe('')
  const response = await postToken(
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: flow.pkce.verifier,
      client_id: flow.app.clientId,
      client_secret: flow.app.clientSecret ?? '',
    }),
  )
  expect(response.status).toBe(200)
  return response.json<TokenBody>()
}

/** OIDC Core §3.1.3.7: what a relying party checks, with jose against the published JWKS. */
async function verifyIdToken(idToken: string | undefined, clientId: string, accessToken: string): Promise<JWTPayload> {
  expect(idToken).toEqual(expect.any(String))
  const { payload, protectedHeader } = await jwtVerify(idToken ?? '', await publishedJwks(), {
    issuer: ORIGIN,
    audience: clientId,
  })
  expect(payload.exp).toBe((payload.iat ?? 0) + ID_TOKEN_LIFETIME)
  // §3.1.3.6: at_hash = base64url of the left half of SHA-256 over the access token.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)))
  expect(payload.at_hash).toBe(base64url.encode(digest.subarray(0, 16)))
  expect(protectedHeader.kid).toEqual(expect.any(String))
  return payload
}

/** A session cookie as /accounts/login/ sets it, but for a login `age` seconds ago. */
async function oldSession(user: Awaited<ReturnType<typeof makeUser>>, age: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const tag = (await sha256Hex(`session:${user.password}`)).slice(0, 16)
  const value = [user.id, user.sessionGeneration, now - age, now + 3600, tag].join('.')
  const cookie = await serializeSigned('__Host-eot_session', value, env.SECRET_KEY, { path: '/', secure: true })
  return cookie.split(';')[0]
}

describe('id_token from the authorization_code grant', () => {
  it('OIDC Core §3.1.3.3/§3.1.3.7: verifies against the JWKS with iss, aud, exp, nonce, at_hash, auth_time = login time', async () => {
    const flow = await setup()
    const before = Math.floor(Date.now() / 1000)
    const cookie = await login(flow.user)
    const tokens = await codeTokens(flow, cookie)
    const claims = await verifyIdToken(tokens.id_token, flow.app.clientId, tokens.access_token)
    expect(claims.sub).toBe(String(flow.user.id))
    expect(claims.nonce).toBe('n-0S6_WzA2Mj')
    expect(claims.preferred_username).toBe(flow.user.username)
    expect(claims.auth_time).toBeGreaterThanOrEqual(before)
    expect(claims.auth_time).toBeLessThanOrEqual(claims.iat ?? 0)
  })

  it('OIDC Core §2: auth_time is when the user logged in, not when the code was issued', async () => {
    const flow = await setup()
    const cookie = await oldSession(flow.user, 1000)
    const tokens = await codeTokens(flow, cookie)
    const claims = await verifyIdToken(tokens.id_token, flow.app.clientId, tokens.access_token)
    expect(claims.auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 1000)
  })

  it('OIDC Core §3.1.3.6: an ES256 application gets an ES256 id_token that verifies against the JWKS', async () => {
    const flow = await setup({ algorithm: 'ES256' })
    const tokens = await codeTokens(flow, await login(flow.user))
    expect(decodeProtectedHeader(tokens.id_token ?? '').alg).toBe('ES256')
    await verifyIdToken(tokens.id_token, flow.app.clientId, tokens.access_token)
  })

  it('OIDC Core §3.1.2.1: without a nonce in the request the id_token has none', async () => {
    const flow = await setup()
    const { nonce: _, ...params } = flow.params
    const tokens = await codeTokens(flow, await login(flow.user), params)
    const claims = await verifyIdToken(tokens.id_token, flow.app.clientId, tokens.access_token)
    expect(claims).not.toHaveProperty('nonce')
  })

  it('OIDC Core §3.1.2.1: without the openid scope there is no id_token', async () => {
    const flow = await setup()
    const tokens = await codeTokens(flow, await login(flow.user), { ...flow.params, scope: 'read' })
    expect(tokens).not.toHaveProperty('id_token')
  })
})

describe('id_token from the refresh_token grant', () => {
  it('OIDC Core §12.2: a new id_token with the same sub and ORIGINAL auth_time, no nonce, at_hash of the new access token', async () => {
    const flow = await setup()
    const tokens = await codeTokens(flow, await oldSession(flow.user, 500))
    const first = await verifyIdToken(tokens.id_token, flow.app.clientId, tokens.access_token)
    const response = await refreshGrant(flow.app, tokens.refresh_token)
    expect(response.status).toBe(200)
    const refreshed = await response.json<TokenBody>()
    const claims = await verifyIdToken(refreshed.id_token, flow.app.clientId, refreshed.access_token)
    expect(claims.sub).toBe(first.sub)
    expect(claims.auth_time).toBe(first.auth_time)
    expect(claims).not.toHaveProperty('nonce')

    // And again from the rotated refresh token: auth_time still the login's.
    const again = await (await refreshGrant(flow.app, refreshed.refresh_token)).json<TokenBody>()
    expect((await verifyIdToken(again.id_token, flow.app.clientId, again.access_token)).auth_time).toBe(first.auth_time)
  })

  it('OIDC Core §12.2: a refresh narrowed to scopes without openid returns no id_token', async () => {
    const flow = await setup()
    const tokens = await codeTokens(flow, await login(flow.user))
    const refreshed = await (await refreshGrant(flow.app, tokens.refresh_token, 'profile')).json<TokenBody>()
    expect(refreshed.scope).toBe('profile')
    expect(refreshed).not.toHaveProperty('id_token')
  })

  it('password-grant tokens (no login behind them, no id_token at issue) refresh without an id_token', async () => {
    const { app, refreshToken } = await passwordToken('openid')
    const refreshed = await (await refreshGrant(app, refreshToken)).json<TokenBody>()
    expect(refreshed.scope).toBe('openid')
    expect(refreshed).not.toHaveProperty('id_token')
  })
})

describe('key rotation', () => {
  it('an id_token signed before a rotation still verifies against the new JWKS; the refresh after it is signed by the new key', async () => {
    const flow = await setup()
    const tokens = await codeTokens(flow, await login(flow.user))
    const rotated = {
      OIDC_SIGNING_KEYS: JSON.stringify({
        keys: [...JSON.parse(env.OIDC_SIGNING_KEYS).keys, ...JSON.parse(await generateSigningKeySet(['RS256'])).keys],
      }),
    }
    const request = new Request(`${ORIGIN}/o/token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: flow.app.clientId,
        client_secret: flow.app.clientSecret ?? '',
      }),
    })
    const refreshed = await (await fetchWithSettings(request, rotated)).json<TokenBody>()
    const jwks = await publishedJwks(rotated)
    const options = { issuer: ORIGIN, audience: flow.app.clientId }
    const before = await jwtVerify(tokens.id_token ?? '', jwks, options)
    const after = await jwtVerify(refreshed.id_token ?? '', jwks, options)
    expect(after.protectedHeader.kid).not.toBe(before.protectedHeader.kid)
    expect(after.payload.auth_time).toBe(before.payload.auth_time)
  })
})

describe('/o/authorize/ OIDC parameters', () => {
  it('OIDC Core §3.1.2.6: prompt=none without a session → login_required redirect with state', async () => {
    const flow = await setup()
    const target = location(await getPage(authorizeUrl({ ...flow.params, prompt: 'none' })))
    expect(target.origin + target.pathname).toBe(REDIRECT_URI)
    expect(target.searchParams.get('error')).toBe('login_required')
    expect(target.searchParams.get('state')).toBe('st-1')
  })

  it('OIDC Core §3.1.2.6: prompt=none when consent is needed → consent_required redirect', async () => {
    const flow = await setup()
    const cookie = await login(flow.user)
    const target = location(await getPage(authorizeUrl({ ...flow.params, prompt: 'none' }), cookie))
    expect(target.searchParams.get('error')).toBe('consent_required')
    expect(target.searchParams.get('code')).toBeNull()
  })

  it('OIDC Core §3.1.2.1: prompt=none with a session and no consent to ask → a code, no page', async () => {
    const flow = await setup({ skipAuthorization: true })
    const cookie = await login(flow.user)
    const target = location(await getPage(authorizeUrl({ ...flow.params, prompt: 'none' }), cookie))
    expect(target.searchParams.get('code')).toEqual(expect.any(String))
    expect(target.searchParams.get('state')).toBe('st-1')
  })

  it('OIDC Core §3.1.2.1: prompt=none combined with another value, or an unknown value → invalid_request', async () => {
    const flow = await setup()
    for (const prompt of ['none login', 'bogus']) {
      const target = location(await getPage(authorizeUrl({ ...flow.params, prompt })))
      expect(target.searchParams.get('error')).toBe('invalid_request')
    }
  })

  it('OIDC Core §3.1.2.1: prompt=login sends a logged-in user to the login page; next drops prompt=login so it does not loop', async () => {
    const flow = await setup()
    const cookie = await login(flow.user)
    const target = location(await getPage(authorizeUrl({ ...flow.params, prompt: 'login consent' }), cookie))
    expect(target.pathname).toBe('/accounts/login/')
    const next = new URL(target.searchParams.get('next') ?? '', ORIGIN)
    expect(next.pathname).toBe('/o/authorize/')
    expect(next.searchParams.get('prompt')).toBe('consent')
    expect(next.searchParams.get('nonce')).toBe('n-0S6_WzA2Mj')
    // After logging in again, next shows the consent page.
    const consent = await getPage(next.pathname + next.search, await login(flow.user))
    expect(consent.status).toBe(200)
    expect(await consent.text()).toContain('value="Approve"')
  })

  it('OIDC Core §3.1.2.1: prompt=consent shows the consent page even for a skip_authorization application', async () => {
    const flow = await setup({ skipAuthorization: true })
    const cookie = await login(flow.user)
    const page = await getPage(authorizeUrl({ ...flow.params, prompt: 'consent' }), cookie)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('value="Approve"')
  })

  it('OIDC Core §3.1.2.1 max_age: a login older than max_age → the login page; a recent one → consent', async () => {
    const flow = await setup()
    const old = await oldSession(flow.user, 600)
    const target = location(await getPage(authorizeUrl({ ...flow.params, max_age: '300' }), old))
    expect(target.pathname).toBe('/accounts/login/')
    expect(new URL(target.searchParams.get('next') ?? '', ORIGIN).searchParams.has('max_age')).toBe(false)
    const recent = await getPage(authorizeUrl({ ...flow.params, max_age: '300' }), await oldSession(flow.user, 100))
    expect(recent.status).toBe(200)
  })

  it('OIDC Core §3.1.2.6: prompt=none with a login older than max_age → login_required', async () => {
    const flow = await setup({ skipAuthorization: true })
    const old = await oldSession(flow.user, 600)
    const target = location(await getPage(authorizeUrl({ ...flow.params, max_age: '60', prompt: 'none' }), old))
    expect(target.searchParams.get('error')).toBe('login_required')
  })

  it('OIDC Core §3.1.2.1: max_age that is not a non-negative integer → invalid_request', async () => {
    const flow = await setup()
    for (const maxAge of ['-1', 'abc', '1.5', '']) {
      const target = location(await getPage(authorizeUrl({ ...flow.params, max_age: maxAge })))
      expect(target.searchParams.get('error')).toBe('invalid_request')
    }
  })

  it('OIDC Core §3.1.2.1 login_hint: the login page it leads to has the username prefilled', async () => {
    const flow = await setup()
    const target = location(await getPage(authorizeUrl({ ...flow.params, login_hint: 'alice<x>' })))
    expect(target.searchParams.get('login_hint')).toBe('alice<x>')
    const page = await getPage(target.pathname + target.search)
    const html = await page.text()
    expect(html).toContain('value="alice&lt;x&gt;"')
  })
})
