/**
 * Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), under each
 * CLIENT_REGISTRATION policy, and what a registered client may then do.
 */
import { createScheduledController, env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { applications } from '../../src/db/schema.ts'
import worker from '../../src/index.ts'
import { deleteUnusedRegistrations } from '../../src/oauth/registration.ts'
import {
  basic,
  db,
  expectOAuthError,
  fetchWithSettings,
  form,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
  postToken,
  unique,
} from '../helpers.ts'

const OPEN = { CLIENT_REGISTRATION: 'open' }
const INITIAL_TOKEN = 'initial-access-token-for-the-tests-0123456789'
const GATED = { CLIENT_REGISTRATION: 'initial-access-token', CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_TOKEN }
const REDIRECT = 'https://client.example.org/callback'
const LOOPBACK_REDIRECT = 'http://127.0.0.1:33418/callback'

type Settings = Record<string, string | undefined>
type ClientInformation = {
  client_id: string
  client_secret?: string
  client_id_issued_at: number
  client_secret_expires_at?: number
  registration_access_token: string
  registration_client_uri: string
  client_name: string
  redirect_uris: string[]
  grant_types: string[]
  response_types: string[]
  token_endpoint_auth_method: string
  application_type: string
  scope?: string
}

function call(
  path: string,
  init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
  settings: Settings = OPEN,
) {
  const headers: Record<string, string> = { ...init.headers }
  let body = init.body
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(init.json)
  }
  const url = path.startsWith('http') ? path : `${ORIGIN}${path}`
  return fetchWithSettings(new Request(url, { method: init.method ?? 'POST', headers, body }), settings)
}

const registerRaw = (metadata: unknown, settings: Settings = OPEN, headers: Record<string, string> = {}) =>
  call('/o/register/', { json: metadata, headers }, settings)

async function register(metadata: Record<string, unknown> = {}, settings: Settings = OPEN) {
  const response = await registerRaw({ redirect_uris: [REDIRECT], client_name: 'Registered', ...metadata }, settings)
  expect(response.status).toBe(201)
  return response.json<ClientInformation>()
}

const manage = (client: ClientInformation, method: string, token = client.registration_access_token, json?: unknown) =>
  call(client.registration_client_uri, {
    method,
    json,
    headers: token === '' ? {} : { Authorization: `Bearer ${token}` },
  })

async function storedRow(clientId: string) {
  return db.select().from(applications).where(eq(applications.clientId, clientId)).get()
}

describe('CLIENT_REGISTRATION policies (RFC 7591 §3)', () => {
  it('off by default: POST /o/register/ is 403 access_denied and RFC 8414 metadata names no registration_endpoint', async () => {
    const response = await registerRaw({ redirect_uris: [REDIRECT] }, {})
    await expectOAuthError(response, 403, 'access_denied')
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await call(path, { method: 'GET' }, {})).json<Record<string, unknown>>()
      expect(metadata).not.toHaveProperty('registration_endpoint')
    }
  })

  it('RFC 8414 §2 / OIDC Discovery §3: open or gated, both documents advertise registration_endpoint', async () => {
    for (const settings of [OPEN, GATED]) {
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const metadata = await (await call(path, { method: 'GET' }, settings)).json<Record<string, unknown>>()
        expect(metadata.registration_endpoint).toBe(`${ORIGIN}/o/register/`)
      }
    }
  })

  it('initial-access-token: none → 401 with a Bearer challenge; a wrong one → 401 invalid_token; the right one → 201', async () => {
    const metadata = { redirect_uris: [REDIRECT] }
    const none = await registerRaw(metadata, GATED)
    await expectOAuthError(none, 401, 'invalid_request')
    expect(none.headers.get('WWW-Authenticate')).toBe('Bearer realm="oauth"')
    const wrong = await registerRaw(metadata, GATED, { Authorization: `Bearer ${INITIAL_TOKEN}x` })
    await expectOAuthError(wrong, 401, 'invalid_token')
    expect(wrong.headers.get('WWW-Authenticate')).toBe('Bearer realm="oauth", error="invalid_token"')
    const right = await registerRaw(metadata, GATED, { Authorization: `Bearer ${INITIAL_TOKEN}` })
    expect(right.status).toBe(201)
  })

  it('initial-access-token without the token configured is a configuration error, not an open door', () => {
    expect(() => getConfig({ CLIENT_REGISTRATION: 'initial-access-token' })).toThrow(/INITIAL_ACCESS_TOKEN/)
    expect(() => getConfig({ CLIENT_REGISTRATION: 'anything' })).toThrow()
  })

  it('rate-limited per client address: past the limit, 429 slow_down with Retry-After', async () => {
    // Every file's limiters start at zero (test/rate-limits.ts): an address no other test here uses.
    const ip = '198.51.100.63'
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const response = await registerRaw({ redirect_uris: [REDIRECT] }, OPEN, { 'CF-Connecting-IP': ip })
      statuses.push(response.status)
      if (response.status === 429) {
        await expectOAuthError(response, 429, 'slow_down')
        expect(response.headers.get('Retry-After')).toBe('60')
      }
    }
    expect(statuses.slice(0, 10).every((status) => status === 201)).toBe(true)
    expect(statuses.slice(10)).toEqual([429, 429])
  })
})

describe('RFC 7591 §3.2.1: the client information response', () => {
  it('a confidential client: client_id, client_secret once, issued_at, expires_at 0, registration token and URI', async () => {
    const before = Math.floor(Date.now() / 1000)
    const response = await registerRaw({ redirect_uris: [REDIRECT], client_name: 'My client', unknown_field: 'x' })
    expect(response.status).toBe(201)
    // §3.2.1: the response carries credentials: never cached.
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(response.headers.get('Pragma')).toBe('no-cache')
    const client = await response.json<ClientInformation & Record<string, unknown>>()
    expect(client).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      client_secret: expect.stringMatching(/^ecs_/),
      client_id_issued_at: expect.any(Number),
      client_secret_expires_at: 0,
      registration_access_token: expect.stringMatching(/^erg_[A-Za-z0-9]{49}$/),
      registration_client_uri: `${ORIGIN}/o/register/${client.client_id}/`,
      client_name: 'My client',
      redirect_uris: [REDIRECT],
      // §2 defaults, and what the server will do: refresh tokens come with the code grant.
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'web',
    })
    expect(client.client_id_issued_at).toBeGreaterThanOrEqual(before - 1)
    // §2: metadata the server does not understand is ignored, not stored or echoed.
    expect(client).not.toHaveProperty('unknown_field')
  })

  it('secrets are stored as digests only; the client is an ordinary application with no owner, never skipping consent', async () => {
    const client = await register()
    const row = await storedRow(client.client_id)
    const stored = JSON.stringify(row)
    expect(stored).not.toContain(client.client_secret)
    expect(stored).not.toContain(client.registration_access_token)
    expect(row).toMatchObject({
      userId: null,
      skipAuthorization: false,
      canIntrospect: false,
      clientType: 'confidential',
      grantTypes: ['authorization-code'],
      registrationTokenHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
  })

  it('token_endpoint_auth_method none: a public client, with no secret and no client_secret_expires_at', async () => {
    const client = await register({ token_endpoint_auth_method: 'none', redirect_uris: [LOOPBACK_REDIRECT] })
    expect(client).not.toHaveProperty('client_secret')
    expect(client).not.toHaveProperty('client_secret_expires_at')
    expect(client.token_endpoint_auth_method).toBe('none')
    expect((await storedRow(client.client_id))?.clientType).toBe('public')
  })

  it('application_type native with a loopback redirect, and a scope, are kept and echoed', async () => {
    const client = await register({ application_type: 'native', redirect_uris: [LOOPBACK_REDIRECT], scope: 'read' })
    expect(client.application_type).toBe('native')
    expect(client.scope).toBe('read')
  })
})

describe('application_type (OIDC Registration §2), as MCP 2026-07-28 asks clients to send it (SEP-837)', () => {
  it('native: loopback redirect URIs on any address of the machine and any port register, kept and echoed', async () => {
    const redirects = ['http://127.0.0.1:33418/callback', 'http://localhost:8090/callback', 'http://[::1]:53682/cb']
    const client = await register({
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: redirects,
    })
    expect(client).toMatchObject({ application_type: 'native', redirect_uris: redirects })
    expect(await storedRow(client.client_id)).toMatchObject({ applicationType: 'native', clientType: 'public' })
  })

  it('native: one redirect URI off the machine refuses the registration (invalid_redirect_uri)', async () => {
    const response = await registerRaw({
      application_type: 'native',
      redirect_uris: [LOOPBACK_REDIRECT, REDIRECT],
    })
    const body = await expectOAuthError(response, 400, 'invalid_redirect_uri')
    expect(body.error_description).toContain(REDIRECT)
  })

  it('web (sent, or by default): the rules of every application, https or loopback http', async () => {
    for (const metadata of [{ application_type: 'web' }, {}]) {
      const client = await register({ ...metadata, redirect_uris: [REDIRECT, LOOPBACK_REDIRECT] })
      expect(client.application_type).toBe('web')
    }
    const plain = await registerRaw({ application_type: 'web', redirect_uris: ['http://client.example.org/cb'] })
    await expectOAuthError(plain, 400, 'invalid_redirect_uri')
  })
})

describe('RFC 7591 §3.2.2: refused metadata', () => {
  const refused = async (metadata: unknown, error: string) => {
    const body = await expectOAuthError(await registerRaw(metadata), 400, error)
    expect(body.error_description).not.toBe('')
  }

  it('invalid_redirect_uri: missing, empty, plain http to another host, a fragment, a custom scheme', async () => {
    await refused({}, 'invalid_redirect_uri')
    await refused({ redirect_uris: [] }, 'invalid_redirect_uri')
    await refused({ redirect_uris: ['http://client.example.org/cb'] }, 'invalid_redirect_uri')
    await refused({ redirect_uris: ['https://client.example.org/cb#frag'] }, 'invalid_redirect_uri')
    await refused({ redirect_uris: ['com.example.app:/cb'] }, 'invalid_redirect_uri')
    await refused({ redirect_uris: ['https://client.example.org/a b'] }, 'invalid_redirect_uri')
  })

  it('invalid_redirect_uri: a native client (OIDC Registration §2) must redirect to a loopback address', async () => {
    await refused({ application_type: 'native', redirect_uris: [REDIRECT] }, 'invalid_redirect_uri')
  })

  it('invalid_client_metadata: grants other than authorization_code + refresh_token, and only refresh_token', async () => {
    for (const grants of [
      ['password'],
      ['client_credentials'],
      ['implicit'],
      ['authorization_code', 'password'],
      ['refresh_token'],
    ]) {
      await refused({ redirect_uris: [REDIRECT], grant_types: grants }, 'invalid_client_metadata')
    }
  })

  it('RFC 7591 §2.1 invalid_client_metadata: response_types other than code', async () => {
    await refused({ redirect_uris: [REDIRECT], response_types: ['token'] }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], response_types: ['code', 'id_token'] }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], response_types: [] }, 'invalid_client_metadata')
  })

  it('invalid_client_metadata: unsupported auth method, application_type, scope, client_name, wrong types', async () => {
    await refused(
      { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
    )
    await refused({ redirect_uris: [REDIRECT], application_type: 'desktop' }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], scope: 'read admin' }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], scope: 'introspection' }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], client_name: 'a\nb' }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], client_name: 'x'.repeat(256) }, 'invalid_client_metadata')
    await refused({ redirect_uris: REDIRECT }, 'invalid_client_metadata')
    await refused({ redirect_uris: [REDIRECT], grant_types: 'authorization_code' }, 'invalid_client_metadata')
    await refused([{ redirect_uris: [REDIRECT] }], 'invalid_client_metadata')
  })

  it('RFC 7591 §3.1: a body that is not JSON is invalid_request (400), never a 500', async () => {
    const formBody = await call('/o/register/', {
      body: form({ redirect_uris: REDIRECT }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    await expectOAuthError(formBody, 400, 'invalid_request')
    const malformed = await call('/o/register/', {
      body: '{"redirect_uris":',
      headers: { 'Content-Type': 'application/json' },
    })
    await expectOAuthError(malformed, 400, 'invalid_request')
  })
})

describe('a registered client at the token and authorization endpoints', () => {
  async function codeFlow(client: ClientInformation, settings: Settings = OPEN, scope?: string) {
    const user = await makeUser()
    const cookie = await login(user)
    const pkce = await pkcePair()
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: client.redirect_uris[0],
      state: 's',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...(scope ? { scope } : {}),
    }
    // The consent page is shown (no skip for registered clients), then approved.
    const page = await call(
      `/o/authorize/?${new URLSearchParams(params)}`,
      { method: 'GET', headers: { Cookie: cookie } },
      settings,
    )
    if (page.status === 302) {
      // Refused before consent, back to the client (RFC 6749 §4.1.2.1).
      const refusal = new URL(page.headers.get('Location') ?? '')
      return { code: '', error: refusal.searchParams.get('error'), pkce, user }
    }
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(client.client_name)
    const approved = await call(
      '/o/authorize/',
      {
        body: form({ ...params, allow: 'Approve' }),
        headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      },
      settings,
    )
    const location = new URL(approved.headers.get('Location') ?? '')
    return { code: location.searchParams.get('code') ?? '', error: location.searchParams.get('error'), pkce, user }
  }

  it('completes the code flow with PKCE and refreshes, authenticating as it registered (client_secret_basic)', async () => {
    const client = await register()
    const { code, pkce } = await codeFlow(client)
    const authorization = basic(client.client_id, client.client_secret ?? '')
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }
    const response = await postToken(form(exchange), { Authorization: authorization })
    expect(response.status).toBe(200)
    const tokens = await response.json<{ access_token: string; refresh_token: string }>()
    const refreshed = await postToken(form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), {
      Authorization: authorization,
    })
    expect(refreshed.status).toBe(200)
  })

  it('RFC 7591 §2 token_endpoint_auth_method: a client_secret_basic client is refused with client_secret_post', async () => {
    const client = await register()
    const response = await postToken(
      form({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: client.client_id,
        client_secret: client.client_secret ?? '',
      }),
    )
    await expectOAuthError(response, 401, 'invalid_client')
    const post = await register({ token_endpoint_auth_method: 'client_secret_post' })
    const viaBasic = await postToken(form({ grant_type: 'refresh_token', refresh_token: 'x' }), {
      Authorization: basic(post.client_id, post.client_secret ?? ''),
    })
    await expectOAuthError(viaBasic, 401, 'invalid_client')
  })

  it('never the password or client_credentials grant', async () => {
    const client = await register()
    const user = await makeUser()
    const authorization = basic(client.client_id, client.client_secret ?? '')
    const password = await postToken(
      form({ grant_type: 'password', username: user.username, password: user.plainPassword }),
      {
        Authorization: authorization,
      },
    )
    await expectOAuthError(password, 400, 'unauthorized_client')
    const credentials = await postToken(form({ grant_type: 'client_credentials' }), { Authorization: authorization })
    await expectOAuthError(credentials, 400, 'unauthorized_client')
  })

  it('RFC 7591 §2 scope is what a client gets when it asks for none, not a ceiling: step-up to any offered scope works (MCP SEP-2350)', async () => {
    // As the MCP SDK registers: with the first challenge's scope, later asking for the union.
    const client = await register({ token_endpoint_auth_method: 'none', scope: 'read' })
    const redeem = async (flow: { code: string; pkce: { verifier: string } }) => {
      const response = await postToken(
        form({
          grant_type: 'authorization_code',
          code: flow.code,
          redirect_uri: REDIRECT,
          code_verifier: flow.pkce.verifier,
          client_id: client.client_id,
        }),
      )
      return (await response.json<{ scope: string }>()).scope
    }
    expect(await redeem(await codeFlow(client))).toBe('read')
    // The user sees and approves the wider request on the consent page (registered clients never skip it).
    expect(await redeem(await codeFlow(client, OPEN, 'read write offline_access'))).toBe('read write offline_access')
    // Never what no client may ask for, nor what the server does not offer.
    expect((await codeFlow(client, OPEN, 'read introspection')).error).toBe('invalid_scope')
    expect((await codeFlow(client, OPEN, 'read admin')).error).toBe('invalid_scope')
    // The registration still says what it said.
    const read = await manage(client, 'GET')
    expect((await read.json<ClientInformation>()).scope).toBe('read')
  })

  it('last_used_at: recorded at a token request, then not written again within a day', async () => {
    const client = await register({ token_endpoint_auth_method: 'none' })
    expect((await storedRow(client.client_id))?.lastUsedAt).toBeNull()
    const first = await codeFlow(client)
    const redeem = (flow: { code: string; pkce: { verifier: string } }) =>
      postToken(
        form({
          grant_type: 'authorization_code',
          code: flow.code,
          redirect_uri: REDIRECT,
          code_verifier: flow.pkce.verifier,
          client_id: client.client_id,
        }),
      )
    // Registered just now: the first record waits a touch interval after registration.
    expect((await redeem(first)).status).toBe(200)
    expect((await storedRow(client.client_id))?.lastUsedAt).toBeNull()
    // Registered two days ago: the token request records its use.
    await env.DB.prepare('UPDATE applications SET created_at = unixepoch() - 172800 WHERE client_id = ?')
      .bind(client.client_id)
      .run()
    const second = await codeFlow(client)
    const before = Math.floor(Date.now() / 1000)
    expect((await redeem(second)).status).toBe(200)
    const recorded = (await storedRow(client.client_id))?.lastUsedAt ?? 0
    expect(recorded).toBeGreaterThanOrEqual(before - 1)
    // Within the day: no further write.
    await env.DB.prepare('UPDATE applications SET last_used_at = ? WHERE client_id = ?')
      .bind(recorded - 3600, client.client_id)
      .run()
    expect((await redeem(await codeFlow(client))).status).toBe(200)
    expect((await storedRow(client.client_id))?.lastUsedAt).toBe(recorded - 3600)
  })
})

describe('RFC 7592: the client configuration endpoint', () => {
  it('§2.1 GET with the registration access token: the client information, without the secret', async () => {
    const client = await register()
    const response = await manage(client, 'GET')
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const read = await response.json<Record<string, unknown>>()
    const { client_secret: _secret, registration_access_token: _token, ...rest } = client
    expect(read).toEqual(rest)
  })

  it('§2: no token → 401 with a challenge; a wrong token, another client’s token, an access token → 401 invalid_token', async () => {
    const client = await register()
    const other = await register()
    const none = await manage(client, 'GET', '')
    await expectOAuthError(none, 401, 'invalid_request')
    expect(none.headers.get('WWW-Authenticate')).toBe('Bearer realm="oauth"')
    for (const token of [`${client.registration_access_token}x`, other.registration_access_token, 'eat_unknown']) {
      const response = await manage(client, 'GET', token)
      await expectOAuthError(response, 401, 'invalid_token')
      expect(response.headers.get('WWW-Authenticate')).toBe('Bearer realm="oauth", error="invalid_token"')
    }
  })

  it('§2: a client that does not exist, or that a person made (no registration token), is 401 alike', async () => {
    const client = await register()
    const unknown = await call(`/o/register/${unique('nobody')}/`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${client.registration_access_token}` },
    })
    await expectOAuthError(unknown, 401, 'invalid_token')
    const made = await makeApplication()
    const byPerson = await call(`/o/register/${made.clientId}/`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${client.registration_access_token}` },
    })
    await expectOAuthError(byPerson, 401, 'invalid_token')
    expect(await storedRow(made.clientId)).toBeDefined()
  })

  it('a registration access token is not an access token: the resource API refuses it', async () => {
    const client = await register()
    const response = await call('/api/hello', {
      method: 'GET',
      headers: { Authorization: `Bearer ${client.registration_access_token}` },
    })
    expect(response.status).toBe(401)
  })

  it('the configuration endpoint keeps working when registration is later turned off', async () => {
    const client = await register()
    const response = await call(
      client.registration_client_uri,
      {
        method: 'GET',
        headers: { Authorization: `Bearer ${client.registration_access_token}` },
      },
      {},
    )
    expect(response.status).toBe(200)
  })

  it('§2.2 PUT replaces the metadata: new values kept, omitted ones back to their defaults', async () => {
    const client = await register({ scope: 'read', client_name: 'Before' })
    const response = await manage(client, 'PUT', undefined, {
      client_id: client.client_id,
      client_name: 'After',
      redirect_uris: ['https://client.example.org/other'],
    })
    expect(response.status).toBe(200)
    const updated = await response.json<ClientInformation>()
    expect(updated).toMatchObject({ client_name: 'After', redirect_uris: ['https://client.example.org/other'] })
    expect(updated).not.toHaveProperty('scope')
    expect(await (await manage(client, 'GET')).json()).toEqual(updated)
  })

  it('§2.2 PUT: wrong or missing client_id, a wrong client_secret, server-set fields → invalid_client_metadata', async () => {
    const client = await register()
    const base = { client_id: client.client_id, redirect_uris: [REDIRECT] }
    for (const body of [
      { redirect_uris: [REDIRECT] },
      { ...base, client_id: 'someone-else' },
      { ...base, client_secret: 'not-the-secret' },
      { ...base, registration_access_token: client.registration_access_token },
      { ...base, client_id_issued_at: 1 },
      { ...base, token_endpoint_auth_method: 'none' },
    ]) {
      await expectOAuthError(await manage(client, 'PUT', undefined, body), 400, 'invalid_client_metadata')
    }
    await expectOAuthError(
      await manage(client, 'PUT', undefined, { ...base, redirect_uris: ['http://evil.example/cb'] }),
      400,
      'invalid_redirect_uri',
    )
    // The current secret may be sent back as it was issued.
    expect((await manage(client, 'PUT', undefined, { ...base, client_secret: client.client_secret })).status).toBe(200)
  })

  it('§2.3 DELETE: 204, its tokens stop working at once, and the registration token with them', async () => {
    const client = await register({ token_endpoint_auth_method: 'none' })
    const row = await storedRow(client.client_id)
    const { issueTokens, testStore } = await import('../helpers.ts')
    const issued = await issueTokens(testStore(), {
      userId: null,
      username: null,
      applicationId: row?.id ?? 0,
      clientId: client.client_id,
      scopes: ['read'],
      accessLifetime: 3600,
      refreshLifetime: null,
    })
    const hello = () =>
      call('/api/hello', { method: 'GET', headers: { Authorization: `Bearer ${issued.accessToken}` } })
    expect((await hello()).status).toBe(200)
    const response = await manage(client, 'DELETE')
    expect(response.status).toBe(204)
    expect(await storedRow(client.client_id)).toBeUndefined()
    expect((await hello()).status).toBe(401)
    await expectOAuthError(await manage(client, 'GET'), 401, 'invalid_token')
  })
})

describe('registered clients expire when unused (cron cleanup)', () => {
  const DAY = 86_400

  it('deletes registered clients unused past the lifetime; keeps recent ones and those a person made', async () => {
    const config = getConfig({ ...env, CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS: String(40 * DAY) })
    const stale = await register()
    const usedLately = await register()
    const fresh = await register()
    const made = await makeApplication()
    const now = Math.floor(Date.now() / 1000)
    const set = (clientId: string, createdAt: number, lastUsedAt: number | null) =>
      env.DB.prepare('UPDATE applications SET created_at = ?, last_used_at = ? WHERE client_id = ?')
        .bind(createdAt, lastUsedAt, clientId)
        .run()
    await set(stale.client_id, now - 100 * DAY, now - 41 * DAY)
    await set(usedLately.client_id, now - 100 * DAY, now - 39 * DAY)
    await set(made.clientId, now - 100 * DAY, null)
    expect(await deleteUnusedRegistrations(db, config, now)).toBeGreaterThanOrEqual(1)
    expect(await storedRow(stale.client_id)).toBeUndefined()
    for (const clientId of [usedLately.client_id, fresh.client_id, made.clientId]) {
      expect(await storedRow(clientId)).toBeDefined()
    }
  })

  it('never deleted when CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS is 0', async () => {
    const client = await register()
    await env.DB.prepare('UPDATE applications SET created_at = 1 WHERE client_id = ?').bind(client.client_id).run()
    expect(await deleteUnusedRegistrations(db, getConfig({ CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS: '0' }))).toBe(0)
    expect(await storedRow(client.client_id)).toBeDefined()
  })

  it('the lifetime never ends before a refresh token issued at the last recorded use has expired', () => {
    const config = getConfig({
      CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS: '60',
      REFRESH_TOKEN_EXPIRE_SECONDS: String(10 * DAY),
    })
    expect(config.clientRegistration.unusedLifetime).toBe(11 * DAY)
    expect(getConfig({}).clientRegistration).toEqual({
      policy: 'off',
      initialAccessToken: null,
      unusedLifetime: 30 * DAY,
    })
  })
})

describe('the cron trigger', () => {
  it('deletes unused registered clients in the same run as the expired tokens, in its one log line', async () => {
    const client = await register()
    await env.DB.prepare('UPDATE applications SET created_at = unixepoch() - 400 * 86400 WHERE client_id = ?')
      .bind(client.client_id)
      .run()
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {})
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '*/30 * * * *' }), env)
    expect(logged).toHaveBeenCalledOnce()
    expect(JSON.parse(String(logged.mock.calls[0][1]))).toMatchObject({ unusedRegistrations: expect.any(Number) })
    logged.mockRestore()
    expect(await storedRow(client.client_id)).toBeUndefined()
  })
})
