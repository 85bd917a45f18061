import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { DEVICE_CODE_GRANT } from '../../src/db/schema.ts'
import { ALGS } from '../dpop.ts'
import {
  authorizationCode,
  basic,
  expectOAuthError,
  fetchWithSettings,
  form,
  inEveryTokenDatabase,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
  REDIRECT_URI,
  refreshGrant,
} from '../helpers.ts'

const API = `${ORIGIN}/api`
const OTHER = 'https://billing.example.net/v1'
const SETTINGS = { RESOURCES: `${OTHER}, https://reports.example.net` }
const API_METADATA = `${ORIGIN}/.well-known/oauth-protected-resource/api`

type App = { id: number; clientId: string; clientSecret: string | null }
type Tokens = { access_token: string; refresh_token?: string; scope: string }

/** The Worker with RESOURCES (and any other setting) set. */
function call(path: string, init: RequestInit = {}, settings: Record<string, string> = SETTINGS) {
  return fetchWithSettings(new Request(`${ORIGIN}${path}`, { redirect: 'manual', ...init }), settings)
}

function post(path: string, values: [string, string][], settings?: Record<string, string>) {
  return call(
    path,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(values).toString(),
    },
    settings,
  )
}

const credentials = (app: App): [string, string][] => [
  ['client_id', app.clientId],
  ['client_secret', app.clientSecret ?? ''],
]
const resources = (...values: string[]): [string, string][] => values.map((value) => ['resource', value])

async function passwordGrant(values: [string, string][] = [], settings?: Record<string, string>) {
  const user = await makeUser()
  const app = await makeApplication()
  const response = await post(
    '/o/token/',
    [
      ['grant_type', 'password'],
      ['username', user.username],
      ['password', user.plainPassword],
      ...credentials(app),
      ...values,
    ],
    settings,
  )
  return { user, app, response }
}

async function issued(response: Response): Promise<Tokens> {
  expect(response.status).toBe(200)
  return response.json()
}

function apiHello(token: string, settings?: Record<string, string>) {
  return call('/api/hello', { headers: { Authorization: `Bearer ${token}` } }, settings)
}

/** RFC 7662 by a designated resource server. */
async function introspect(token: string, settings?: Record<string, string>) {
  const server = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
  const response = await call(
    '/o/introspect/',
    {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(server.clientId, server.clientSecret ?? ''),
      },
      body: form({ token }),
    },
    settings,
  )
  expect(response.status).toBe(200)
  return response.json<{ active: boolean; aud?: string | string[] }>()
}

async function storedAudience(table: 'access_tokens' | 'refresh_tokens', token: string) {
  const [row] = await inEveryTokenDatabase<{ audience: string | null }>(
    `SELECT audience FROM ${table} WHERE lower(hex(token_hash)) = ?`,
    await sha256Hex(token),
  )
  if (!row) throw new Error('no such token')
  return row.audience
}

/** RFC 6750 §3.1 + RFC 9728 §5.1: the API's refusal of a token minted for another resource. */
async function expectRefusedAtApi(response: Response) {
  expect(response.status).toBe(401)
  expect(response.headers.get('WWW-Authenticate')).toContain(
    `Bearer realm="api", error="invalid_token", resource_metadata="${API_METADATA}"`,
  )
  expect(await response.json()).toEqual({ detail: 'Invalid token: it was not issued for this resource.' })
}

describe('RFC 8707 §2.2: resource on the token request (password, client_credentials)', () => {
  it('no resource → the default audience, <issuer>/api: works at /api/hello, stored as NULL, introspected as aud', async () => {
    const { response } = await passwordGrant()
    const tokens = await issued(response)
    expect(await apiHello(tokens.access_token).then((r) => r.status)).toBe(200)
    expect(await storedAudience('access_tokens', tokens.access_token)).toBeNull()
    expect(await storedAudience('refresh_tokens', tokens.refresh_token ?? '')).toBeNull()
    expect((await introspect(tokens.access_token)).aud).toBe(API)
  })

  it('§2: the API named in another spelling (case, default port, trailing slash) is the same resource', async () => {
    const { response } = await passwordGrant(resources('HTTPS://Example.COM:443/api/'))
    const tokens = await issued(response)
    expect(await apiHello(tokens.access_token).then((r) => r.status)).toBe(200)
    // Exactly the default: stored compactly.
    expect(await storedAudience('access_tokens', tokens.access_token)).toBeNull()
  })

  it('§2: resource repeated → a token for every one of them; it works at /api/hello and introspects with both', async () => {
    const { response } = await passwordGrant(resources(API, OTHER))
    const tokens = await issued(response)
    expect(await apiHello(tokens.access_token).then((r) => r.status)).toBe(200)
    expect((await introspect(tokens.access_token)).aud).toEqual([API, OTHER])
  })

  it('RFC 6750 §3.1: a token minted only for a RESOURCES entry is refused at /api/hello (401 invalid_token, resource_metadata)', async () => {
    const { response } = await passwordGrant(resources(OTHER))
    const tokens = await issued(response)
    await expectRefusedAtApi(await apiHello(tokens.access_token))
    // What the other resource server sees when it introspects the token.
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, aud: OTHER })
  })

  it('RFC 6750 §3.1: a token minted only for the origin resource (<issuer>) is refused at /api/hello', async () => {
    const { response } = await passwordGrant(resources(`${ORIGIN}/`))
    const tokens = await issued(response)
    await expectRefusedAtApi(await apiHello(tokens.access_token))
    expect((await introspect(tokens.access_token)).aud).toBe(ORIGIN)
  })

  it('§2: client_credentials with resource → a token for that resource only', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const withOther = await issued(
      await post('/o/token/', [['grant_type', 'client_credentials'], ...credentials(app), ...resources(OTHER)]),
    )
    expect(withOther.refresh_token).toBeUndefined()
    await expectRefusedAtApi(await apiHello(withOther.access_token))
    const withApi = await issued(
      await post('/o/token/', [['grant_type', 'client_credentials'], ...credentials(app), ...resources(API)]),
    )
    expect(await apiHello(withApi.access_token).then((r) => r.status)).toBe(200)
  })

  for (const [what, value] of [
    ['an unknown resource', 'https://evil.example.com/api'],
    ['a relative URI', '/api'],
    ['a URI with a fragment', `${API}#top`],
    ['an empty fragment', `${API}#`],
    ['a URI with credentials', 'https://user:pw@example.com/api'],
  ]) {
    it(`§2: ${what} → 400 invalid_target, nothing issued (password and client_credentials)`, async () => {
      const { app, response } = await passwordGrant([...resources(API), ...resources(value)])
      const body = await expectOAuthError(response, 400, 'invalid_target')
      expect(body.error_description).toContain(value)
      const issued = await inEveryTokenDatabase('SELECT id FROM access_tokens WHERE application_id = ?', app.id)
      expect(issued).toEqual([])
      const machine = await makeApplication({ grantTypes: ['client-credentials'] })
      await expectOAuthError(
        await post('/o/token/', [['grant_type', 'client_credentials'], ...credentials(machine), ['resource', value]]),
        400,
        'invalid_target',
      )
    })
  }

  it('§2: a RESOURCES entry is unknown where it is not configured', async () => {
    const { response } = await passwordGrant(resources(OTHER), {})
    await expectOAuthError(response, 400, 'invalid_target')
  })
})

describe("RFC 8707: this Worker's own resources refuse each other's tokens", () => {
  const MCP = `${ORIGIN}/mcp`
  const mcpCall = (token: string) =>
    call('/mcp', {
      method: 'POST',
      headers: {
        Accept: 'application/json, text/event-stream',
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })

  it('RFC 6750 §3.1: a token for <issuer>/mcp is refused at /api/hello, and works at /mcp', async () => {
    const tokens = await issued((await passwordGrant([['scope', 'read'], ...resources(MCP)])).response)
    await expectRefusedAtApi(await apiHello(tokens.access_token))
    expect((await mcpCall(tokens.access_token)).status).toBe(200)
  })

  it('RFC 6750 §3.1: a token for the API (the default audience) is refused at /mcp, in its JSON-RPC dialect with its metadata', async () => {
    const tokens = await issued((await passwordGrant([['scope', 'read']])).response)
    const response = await mcpCall(tokens.access_token)
    expect(response.status).toBe(401)
    const metadata = `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp"`
    // RFC 7235 §4.1: each scheme /mcp accepts, Bearer (refusing) and DPoP (RFC 9449 §7.1).
    expect(response.headers.get('WWW-Authenticate')).toBe(
      `Bearer realm="mcp", error="invalid_token", ${metadata}, DPoP realm="mcp", algs="${ALGS}", ${metadata}`,
    )
    expect(await response.json()).toMatchObject({
      jsonrpc: '2.0',
      error: { message: 'Invalid token: it was not issued for this resource.' },
    })
    // Both resources at once: accepted by each.
    const both = await issued((await passwordGrant([['scope', 'read'], ...resources(MCP, API)])).response)
    expect((await mcpCall(both.access_token)).status).toBe(200)
    expect((await apiHello(both.access_token)).status).toBe(200)
  })
})

describe('RFC 8707 §2.2: refresh_token', () => {
  it('a refresh narrows the access token to a subset; the rotated refresh token keeps the whole audience', async () => {
    const { app, response } = await passwordGrant(resources(API, OTHER))
    const first = await issued(response)
    const refresh = (token: string, values: [string, string][]) =>
      post('/o/token/', [['grant_type', 'refresh_token'], ['refresh_token', token], ...credentials(app), ...values])

    const narrowed = await issued(await refresh(first.refresh_token ?? '', resources(OTHER)))
    await expectRefusedAtApi(await apiHello(narrowed.access_token))
    expect((await introspect(narrowed.access_token)).aud).toBe(OTHER)
    expect(await storedAudience('refresh_tokens', narrowed.refresh_token ?? '')).toBe(`${API} ${OTHER}`)

    // Without resource: the grant's whole audience again.
    const whole = await issued(await refresh(narrowed.refresh_token ?? '', []))
    expect(await apiHello(whole.access_token).then((r) => r.status)).toBe(200)
    expect((await introspect(whole.access_token)).aud).toEqual([API, OTHER])
  })

  it('a resource outside the grant → 400 invalid_target; the refresh token is not spent', async () => {
    const { app, response } = await passwordGrant()
    const first = await issued(response)
    const refresh = (values: [string, string][]) =>
      post('/o/token/', [
        ['grant_type', 'refresh_token'],
        ['refresh_token', first.refresh_token ?? ''],
        ...credentials(app),
        ...values,
      ])
    // Known, but the grant (the default audience) does not cover it.
    await expectOAuthError(await refresh(resources(OTHER)), 400, 'invalid_target')
    await expectOAuthError(await refresh(resources('https://unknown.example')), 400, 'invalid_target')
    const next = await issued(await refresh(resources(API)))
    expect(await apiHello(next.access_token).then((r) => r.status)).toBe(200)
  })
})

/** Hidden fields of the consent form, as the browser posts them back. */
function consentFields(html: string): [string, string][] {
  const decode = (value: string) =>
    value
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  return [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [
    match[1],
    decode(match[2]),
  ])
}

async function codeApp(clientType: 'confidential' | 'public' = 'confidential') {
  const user = await makeUser()
  const app = await makeApplication({ clientType, grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
  return { user, app, cookie: await login(user), pkce: await pkcePair() }
}

function authorizeQuery(app: App, challenge: string, extra: [string, string][]) {
  return new URLSearchParams([
    ['response_type', 'code'],
    ['client_id', app.clientId],
    ['redirect_uri', REDIRECT_URI],
    ['scope', 'read'],
    ['state', 's-1'],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
    ...extra,
  ])
}

function redeemCode(app: App, code: string, verifier: string, values: [string, string][] = []) {
  return post('/o/token/', [
    ['grant_type', 'authorization_code'],
    ['code', code],
    ['redirect_uri', REDIRECT_URI],
    ['code_verifier', verifier],
    ...credentials(app),
    ...values,
  ])
}

describe('RFC 8707 §2.1: resource on the authorization request', () => {
  it('two resources: the consent page names them and posts both back; the code yields a token for both', async () => {
    const { app, cookie, pkce } = await codeApp()
    const query = authorizeQuery(app, pkce.challenge, resources(API, OTHER))
    const page = await call(`/o/authorize/?${query}`, { headers: { Cookie: cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(`<code>${API}</code>`)
    expect(html).toContain(`<code>${OTHER}</code>`)
    const fields = consentFields(html)
    expect(fields.filter(([name]) => name === 'resource').map(([, value]) => value)).toEqual([API, OTHER])

    const approved = await call('/o/authorize/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, Origin: ORIGIN },
      body: new URLSearchParams([...fields, ['allow', 'Approve']]).toString(),
    })
    expect(approved.status).toBe(302)
    const code = new URL(approved.headers.get('Location') ?? '').searchParams.get('code') ?? ''
    const tokens = await issued(await redeemCode(app, code, pkce.verifier))
    expect(await apiHello(tokens.access_token).then((r) => r.status)).toBe(200)
    expect((await introspect(tokens.access_token)).aud).toEqual([API, OTHER])
    expect(await storedAudience('refresh_tokens', tokens.refresh_token ?? '')).toBe(`${API} ${OTHER}`)
  })

  for (const [what, value] of [
    ['unknown', 'https://evil.example.com/'],
    ['with a fragment', `${API}#x`],
    ['relative', 'api'],
  ]) {
    it(`§2: a resource ${what} → error redirect to the client: invalid_target with state and iss`, async () => {
      const { app, cookie, pkce } = await codeApp()
      const response = await call(`/o/authorize/?${authorizeQuery(app, pkce.challenge, resources(value))}`, {
        headers: { Cookie: cookie },
      })
      expect(response.status).toBe(302)
      const target = new URL(response.headers.get('Location') ?? '')
      expect(target.origin + target.pathname).toBe(REDIRECT_URI)
      expect(target.searchParams.get('error')).toBe('invalid_target')
      expect(target.searchParams.get('state')).toBe('s-1')
      expect(target.searchParams.get('iss')).toBe(ORIGIN)
      expect(target.searchParams.get('code')).toBeNull()
    })
  }

  it("§2.1: a request that first needs a login keeps every resource in the login page's next", async () => {
    const { app, pkce } = await codeApp()
    const response = await call(`/o/authorize/?${authorizeQuery(app, pkce.challenge, resources(API, OTHER))}`)
    expect(response.status).toBe(302)
    const next = new URL(response.headers.get('Location') ?? '', ORIGIN).searchParams.get('next') ?? ''
    expect(new URL(next, ORIGIN).searchParams.getAll('resource')).toEqual([API, OTHER])
  })

  it('RFC 6749 §4.1.2.1: with an unregistered redirect_uri a bad resource is never redirected (error page)', async () => {
    const { app, cookie, pkce } = await codeApp()
    const query = authorizeQuery(app, pkce.challenge, resources('https://evil.example.com/'))
    query.set('redirect_uri', 'https://evil.example.com/cb')
    const response = await call(`/o/authorize/?${query}`, { headers: { Cookie: cookie } })
    expect(response.status).toBe(400)
    expect(response.headers.get('Location')).toBeNull()
  })

  it('§2.2: the token request may narrow the code to a subset; a resource outside it is invalid_target and leaves the code unspent', async () => {
    const { app, cookie, pkce } = await codeApp()
    const fields = consentFields(
      await (
        await call(`/o/authorize/?${authorizeQuery(app, pkce.challenge, resources(OTHER))}`, {
          headers: { Cookie: cookie },
        })
      ).text(),
    )
    const approved = await call('/o/authorize/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, Origin: ORIGIN },
      body: new URLSearchParams([...fields, ['allow', 'Approve']]).toString(),
    })
    const code = new URL(approved.headers.get('Location') ?? '').searchParams.get('code') ?? ''
    // The API was not granted: the code's audience is the other resource only.
    await expectOAuthError(await redeemCode(app, code, pkce.verifier, resources(API)), 400, 'invalid_target')
    const tokens = await issued(await redeemCode(app, code, pkce.verifier, resources(OTHER)))
    await expectRefusedAtApi(await apiHello(tokens.access_token))
    expect((await introspect(tokens.access_token)).aud).toBe(OTHER)
  })

  it('§2.2: a code minted without resource (the default audience) redeemed with resource=<issuer>/api', async () => {
    const { app, code, pkce } = await authorizationCode()
    const tokens = await issued(await redeemCode(app, code, pkce.verifier, resources(API)))
    expect(await apiHello(tokens.access_token).then((r) => r.status)).toBe(200)
    expect(await storedAudience('access_tokens', tokens.access_token)).toBeNull()
  })

  it("DOT APPROVAL_PROMPT='auto': an earlier approval for the API does not skip consent for another resource", async () => {
    const { app, cookie, pkce } = await codeApp()
    // An approval (a live token) for the default audience.
    const first = await call('/o/authorize/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, Origin: ORIGIN },
      body: new URLSearchParams([...authorizeQuery(app, pkce.challenge, []), ['allow', 'Approve']]).toString(),
    })
    const code = new URL(first.headers.get('Location') ?? '').searchParams.get('code') ?? ''
    await issued(await redeemCode(app, code, pkce.verifier))
    // The same scopes for the API again: skipped (a code straight away).
    const again = await call(`/o/authorize/?${authorizeQuery(app, pkce.challenge, resources(API))}`, {
      headers: { Cookie: cookie },
    })
    expect(again.status).toBe(302)
    // For another resource: the user is asked.
    const other = await call(`/o/authorize/?${authorizeQuery(app, pkce.challenge, resources(OTHER))}`, {
      headers: { Cookie: cookie },
    })
    expect(other.status).toBe(200)
    expect(await other.text()).toContain(`<code>${OTHER}</code>`)
  })
})

describe('RFC 8707 with the device grant (RFC 8628)', () => {
  it('resource on /o/device-authorization/ is stored with the device code; the token is for it, narrowed at the token endpoint', async () => {
    const app = await makeApplication({ clientType: 'public', grantTypes: [DEVICE_CODE_GRANT] })
    const start = await post('/o/device-authorization/', [['client_id', app.clientId], ...resources(API, OTHER)])
    expect(start.status).toBe(200)
    const device = await start.json<{ device_code: string; user_code: string }>()
    const cookie = await login(await makeUser())
    // The confirmation page names the resources, as the consent page does.
    const confirm = await call('/o/device/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, Origin: ORIGIN },
      body: form({ user_code: device.user_code }),
    })
    expect(confirm.status).toBe(200)
    const page = await confirm.text()
    expect(page).toContain(`<code>${API}</code>`)
    expect(page).toContain(`<code>${OTHER}</code>`)
    const answer = await call('/o/device/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, Origin: ORIGIN },
      body: form({ user_code: device.user_code, decision: 'approve' }),
    })
    expect(answer.status).toBe(200)
    const poll = (values: [string, string][]) =>
      post('/o/token/', [
        ['grant_type', DEVICE_CODE_GRANT],
        ['device_code', device.device_code],
        ['client_id', app.clientId],
        ...values,
      ])
    await expectOAuthError(await poll(resources(`${ORIGIN}/`)), 400, 'invalid_target')
    const tokens = await issued(await poll(resources(OTHER)))
    await expectRefusedAtApi(await apiHello(tokens.access_token))
    expect(await storedAudience('refresh_tokens', tokens.refresh_token ?? '')).toBe(`${API} ${OTHER}`)
  })

  it('§2: an unknown resource on /o/device-authorization/ → 400 invalid_target (OAuth JSON)', async () => {
    const app = await makeApplication({ clientType: 'public', grantTypes: [DEVICE_CODE_GRANT] })
    const response = await post('/o/device-authorization/', [['client_id', app.clientId], ...resources('urn:x#y')])
    await expectOAuthError(response, 400, 'invalid_target')
  })
})

describe('DEFAULT_AUDIENCE', () => {
  const settings = { ...SETTINGS, DEFAULT_AUDIENCE: `${OTHER}/` }

  it('a token requested without resource is for DEFAULT_AUDIENCE: refused at /api/hello unless the API is named', async () => {
    const { response } = await passwordGrant([], settings)
    const tokens = await issued(response)
    await expectRefusedAtApi(await apiHello(tokens.access_token, settings))
    expect((await introspect(tokens.access_token, settings)).aud).toBe(OTHER)
    expect(await storedAudience('access_tokens', tokens.access_token)).toBeNull()

    const named = await issued((await passwordGrant(resources(API), settings)).response)
    expect(await apiHello(named.access_token, settings).then((r) => r.status)).toBe(200)
    expect(await storedAudience('access_tokens', named.access_token)).toBe(API)
  })
})

describe('what is not audience-bound', () => {
  it('OIDC UserInfo answers a token of any audience (it is the authorization server, not a resource)', async () => {
    const { response } = await passwordGrant([['scope', 'openid profile'], ...resources(OTHER)])
    const tokens = await issued(response)
    const info = await call('/o/userinfo/', { headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(info.status).toBe(200)
  })
})

describe('OIDC Core §11 offline_access', () => {
  it('is advertised by the authorization server, not by the protected resources (RFC 9728 §2)', async () => {
    const metadata = await (await call('/.well-known/oauth-authorization-server')).json<{
      scopes_supported: string[]
    }>()
    expect(metadata.scopes_supported).toContain('offline_access')
    const api = await (await call('/.well-known/oauth-protected-resource/api')).json<{ scopes_supported: string[] }>()
    expect(api.scopes_supported).not.toContain('offline_access')
  })

  it('is granted on request (no invalid_scope) with a refresh token, as every grant that issues one', async () => {
    const { response } = await passwordGrant([['scope', 'read offline_access']])
    const tokens = await issued(response)
    expect(tokens.scope).toBe('read offline_access')
    expect(tokens.refresh_token).toEqual(expect.any(String))
  })

  it('the consent page describes it', async () => {
    const { app, cookie, pkce } = await codeApp()
    const query = authorizeQuery(app, pkce.challenge, [])
    query.set('scope', 'read offline_access')
    const html = await (await call(`/o/authorize/?${query}`, { headers: { Cookie: cookie } })).text()
    expect(html).toContain('<strong>offline_access</strong>: Stay connected while you are away (a refresh token)')
  })
})

describe('OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: refresh tokens of public clients rotate', () => {
  const grace = { ...SETTINGS, REFRESH_TOKEN_GRACE_PERIOD_SECONDS: '30' }

  it('every refresh returns a new refresh token; reusing a rotated one revokes the family, even within REFRESH_TOKEN_GRACE_PERIOD_SECONDS', async () => {
    const { app, params } = await authorizationCode({ clientType: 'public' })
    expect(app.clientSecret).toBeNull()
    const first = await issued(await post('/o/token/', Object.entries(params), grace))
    const refresh = (token: string) =>
      post(
        '/o/token/',
        [
          ['grant_type', 'refresh_token'],
          ['refresh_token', token],
          ['client_id', app.clientId],
        ],
        grace,
      )
    const second = await issued(await refresh(first.refresh_token ?? ''))
    expect(second.refresh_token).toEqual(expect.any(String))
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(await apiHello(second.access_token, grace).then((r) => r.status)).toBe(200)

    // The rotated token again, a second later (inside the grace period): theft, the family goes.
    await expectOAuthError(await refresh(first.refresh_token ?? ''), 400, 'invalid_grant')
    expect(await apiHello(second.access_token, grace).then((r) => r.status)).toBe(401)
    await expectOAuthError(await refresh(second.refresh_token ?? ''), 400, 'invalid_grant')
  })

  it('a confidential client keeps its grace period (the reuse is refused, the family kept)', async () => {
    const { app, params } = await authorizationCode()
    const first = await issued(await post('/o/token/', Object.entries(params), grace))
    const second = await issued(
      await post(
        '/o/token/',
        [['grant_type', 'refresh_token'], ['refresh_token', first.refresh_token ?? ''], ...credentials(app)],
        grace,
      ),
    )
    await expectOAuthError(
      await post(
        '/o/token/',
        [['grant_type', 'refresh_token'], ['refresh_token', first.refresh_token ?? ''], ...credentials(app)],
        grace,
      ),
      400,
      'invalid_grant',
    )
    expect(await apiHello(second.access_token, grace).then((r) => r.status)).toBe(200)
    expect((await refreshGrant(app, second.refresh_token ?? '')).status).toBe(200)
  })
})
