/**
 * RFC 9207 (OAuth 2.0 Authorization Server Issuer Identification), as MCP 2026-07-28 asks of an
 * authorization server (SEP-2468): every authorization response names the issuer, each kind of
 * success and each error sent back to the client, so a client talking to several servers refuses
 * a response from the wrong one before it redeems a code or shows an error (the mix-up defense).
 * One test per kind of response /o/authorize/ sends back.
 */
import { describe, expect, it } from 'vitest'
import {
  fetchWithSettings,
  getPage,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
  postForm,
  REDIRECT_URI,
} from '../helpers.ts'

type Params = Record<string, string>

async function request(overrides: Parameters<typeof makeApplication>[0] = {}) {
  const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI], ...overrides })
  const pkce = await pkcePair()
  const params: Params = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'read',
    state: 'st-9207',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }
  return { params, cookie: await login(await makeUser()) }
}

const authorizeUrl = (params: Params) => `/o/authorize/?${new URLSearchParams(params)}`

/** The authorization response: a redirect to the client's redirect_uri with `iss`, `state` and exactly one of code and error. */
function expectResponse(response: Response, expected: { code: true } | { error: string }, issuer = ORIGIN) {
  expect(response.status).toBe(302)
  const target = new URL(response.headers.get('Location') ?? '')
  expect(target.origin + target.pathname).toBe(REDIRECT_URI)
  // §2: exactly one iss, the metadata's issuer, beside the state.
  expect(target.searchParams.getAll('iss')).toEqual([issuer])
  expect(target.searchParams.get('state')).toBe('st-9207')
  if ('code' in expected) {
    expect(target.searchParams.get('code')).toMatch(/^eac_/)
    expect(target.searchParams.has('error')).toBe(false)
  } else {
    expect(target.searchParams.get('error')).toBe(expected.error)
    expect(target.searchParams.has('code')).toBe(false)
  }
}

describe('RFC 9207 §2: iss on every authorization response', () => {
  it('§2.3: the metadata says so (authorization_response_iss_parameter_supported)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await getPage(path)).json<Record<string, unknown>>()
      expect(metadata).toMatchObject({ issuer: ORIGIN, authorization_response_iss_parameter_supported: true })
    }
  })

  it('code, after the user approves on the consent page', async () => {
    const { params, cookie } = await request()
    expectResponse(await postForm('/o/authorize/', { ...params, allow: 'Approve' }, { Cookie: cookie }), { code: true })
  })

  it('code, without a consent page (skip_authorization)', async () => {
    const { params, cookie } = await request({ skipAuthorization: true })
    expectResponse(await getPage(authorizeUrl(params), cookie), { code: true })
  })

  it('access_denied: the user denies', async () => {
    const { params, cookie } = await request()
    expectResponse(await postForm('/o/authorize/', { ...params, allow: 'Deny' }, { Cookie: cookie }), {
      error: 'access_denied',
    })
  })

  const refusals: [error: string, change: Params, client?: Parameters<typeof makeApplication>[0]][] = [
    ['invalid_request', { code_challenge_method: 'plain' }],
    ['unsupported_response_type', { response_type: 'token' }],
    ['unauthorized_client', {}, { grantTypes: ['password'] }],
    ['invalid_scope', { scope: 'read admin' }],
    ['invalid_target', { resource: 'https://elsewhere.example/api' }],
  ]
  for (const [error, change, client] of refusals) {
    it(`${error}: a request refused before any page`, async () => {
      const { params, cookie } = await request(client)
      expectResponse(await getPage(authorizeUrl({ ...params, ...change }), cookie), { error })
    })
  }

  it('login_required: prompt=none without a session (OIDC Core §3.1.2.6)', async () => {
    const { params } = await request()
    expectResponse(await getPage(authorizeUrl({ ...params, prompt: 'none' })), { error: 'login_required' })
  })

  it('consent_required: prompt=none when the user has not approved this client', async () => {
    const { params, cookie } = await request()
    expectResponse(await getPage(authorizeUrl({ ...params, prompt: 'none' }), cookie), { error: 'consent_required' })
  })

  it('with ISSUER set, iss is that issuer exactly as the metadata writes it, on a code and on an error', async () => {
    const settings = { ISSUER: 'https://id.example.org/' }
    const { params, cookie } = await request({ skipAuthorization: true })
    const call = (query: Params) =>
      fetchWithSettings(
        new Request(`https://id.example.org${authorizeUrl(query)}`, {
          headers: { Cookie: cookie },
          redirect: 'manual',
        }),
        settings,
      )
    const metadata = await fetchWithSettings(
      new Request('https://id.example.org/.well-known/oauth-authorization-server'),
      settings,
    )
    const { issuer } = await metadata.json<{ issuer: string }>()
    expect(issuer).toBe('https://id.example.org')
    expectResponse(await call(params), { code: true }, issuer)
    expectResponse(await call({ ...params, scope: 'admin' }), { error: 'invalid_scope' }, issuer)
  })

  it('never on an error page: an unknown client or redirect_uri gets no redirect (RFC 6749 §4.1.2.1)', async () => {
    const { params, cookie } = await request()
    const changes: Params[] = [{ client_id: 'unknown' }, { redirect_uri: 'https://attacker.example/cb' }]
    for (const change of changes) {
      const response = await getPage(authorizeUrl({ ...params, ...change }), cookie)
      expect(response.status).toBe(400)
      expect(response.headers.get('Location')).toBeNull()
    }
  })
})
