/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client_id that
 * is an https URL is resolved by fetching the JSON document there. The documents are served by
 * stubbing the isolate's global fetch, which the Worker (called in this isolate by
 * fetchWithSettings) uses for them: there is no network here.
 */
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { applications } from '../../src/db/schema.ts'
import { listApplications } from '../../src/oauth/applications.ts'
import { deleteUnusedRegistrations } from '../../src/oauth/registration.ts'
import { sessionOf } from '../console/admin-helpers.ts'
import {
  db,
  expectOAuthError,
  fetchWithSettings,
  form,
  getPage,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
} from '../helpers.ts'

const ON = { CLIENT_ID_METADATA_DOCUMENTS: 'on' }
const OFF = { CLIENT_ID_METADATA_DOCUMENTS: 'off' }
const REDIRECT = 'https://app.example.net/callback'

let sequence = 0
/** A fresh document URL (its own host, so each test has its own client). */
function documentUrl(): string {
  sequence++
  return `https://client${Date.now().toString(36)}${sequence}.example.org/oauth/client.json`
}

function documentFor(url: string, fields: Record<string, unknown> = {}) {
  return {
    client_id: url,
    client_name: 'Doc Client',
    client_uri: new URL(url).origin,
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...fields,
  }
}

const jsonResponse = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json', ...headers } })

/** Answers the Worker's outbound fetches with `respond`; returns the URLs it was asked for. */
function serve(respond: (url: string) => Response | Promise<Response>): string[] {
  const fetched: string[] = []
  vi.stubGlobal('fetch', async (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input)
    fetched.push(url)
    return respond(url)
  })
  return fetched
}

/** Serves a valid document for `url` (with `headers`), and 404 for anything else. */
function serveDocument(
  url: string,
  fields: Record<string, unknown> = {},
  headers: Record<string, string> = { 'Cache-Control': 'max-age=600' },
) {
  return serve((asked) =>
    asked === url ? jsonResponse(documentFor(url, fields), headers) : new Response(null, { status: 404 }),
  )
}

afterEach(() => {
  vi.unstubAllGlobals()
})

async function authorizeParams(clientId: string, redirectUri = REDIRECT) {
  const pkce = await pkcePair()
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'read',
    state: 'st-1',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }
  return { params, verifier: pkce.verifier }
}

function authorize(
  params: Record<string, string>,
  options: { cookie?: string; settings?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  return fetchWithSettings(
    new Request(`${ORIGIN}/o/authorize/?${new URLSearchParams(params)}`, {
      headers: { ...(options.cookie ? { Cookie: options.cookie } : {}), ...options.headers },
    }),
    options.settings ?? ON,
  )
}

function decide(params: Record<string, string>, cookie: string, settings = ON) {
  return fetchWithSettings(
    new Request(`${ORIGIN}/o/authorize/`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ ...params, allow: 'Approve' }),
    }),
    settings,
  )
}

function token(values: Record<string, string>, settings = ON) {
  return fetchWithSettings(
    new Request(`${ORIGIN}/o/token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form(values),
    }),
    settings,
  )
}

const storedClient = (clientId: string) =>
  db.select().from(applications).where(eq(applications.clientId, clientId)).get()

/** An HTML error page, never a redirect to the client: the client cannot be trusted. */
async function expectErrorPage(response: Response, error: string, description: string, status = 400) {
  expect(response.status).toBe(status)
  expect(response.headers.get('Location')).toBeNull()
  expect(response.headers.get('Content-Type')).toContain('text/html')
  const html = await response.text()
  expect(html).toContain(error)
  expect(html).toContain(description)
}

/** Runs the whole flow for a served document: authorize → login → consent → code → token. */
async function obtainTokens(url: string) {
  const user = await makeUser()
  const cookie = await login(user)
  const { params, verifier } = await authorizeParams(url)
  const page = await authorize(params, { cookie })
  expect(page.status).toBe(200)
  const approved = await decide(params, cookie)
  expect(approved.status).toBe(302)
  const callback = new URL(approved.headers.get('Location') ?? '')
  const response = await token({
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code') ?? '',
    redirect_uri: REDIRECT,
    client_id: url,
    code_verifier: verifier,
  })
  expect(response.status).toBe(200)
  return response.json<{ access_token: string; refresh_token: string; scope: string }>()
}

const now = () => Math.floor(Date.now() / 1000)

describe('metadata: client_id_metadata_document_supported (draft "Authorization Server Metadata")', () => {
  it('true in RFC 8414 and OIDC discovery when on, false when off (the default)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const on = await fetchWithSettings(new Request(`${ORIGIN}${path}`), ON)
      expect((await on.json<Record<string, unknown>>()).client_id_metadata_document_supported).toBe(true)
      const off = await fetchWithSettings(new Request(`${ORIGIN}${path}`), {})
      expect((await off.json<Record<string, unknown>>()).client_id_metadata_document_supported).toBe(false)
    }
  })
})

describe('a client identified by its metadata document', () => {
  it('authorize → login → consent (its host shown) → code → token with PKCE; it becomes an application', async () => {
    const url = documentUrl()
    const fetched = serveDocument(url)
    const { params, verifier } = await authorizeParams(url)

    // Not logged in: the document is fetched and checked before the login page is offered.
    const anonymous = await authorize(params)
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('Location')).toMatch(/^\/accounts\/login\//)
    expect(fetched).toEqual([url])
    const row = await storedClient(url)
    expect(row).toMatchObject({
      name: 'Doc Client',
      clientType: 'public',
      userId: null,
      skipAuthorization: false,
      canIntrospect: false,
      grantTypes: ['authorization-code'],
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: 'none',
      clientSecretHash: '',
    })
    expect(row?.metadataDocumentFreshUntil).toBeGreaterThanOrEqual(now() + 590)

    const user = await makeUser()
    const cookie = await login(user)
    const page = await authorize(params, { cookie })
    expect(page.status).toBe(200)
    const html = await page.text()
    const host = new URL(url).host
    // The draft ("OAuth Phishing Attacks"): the client_id's host, prominently; the name is its claim.
    expect(html).toContain(`<span class="host" title="Doc Client">${host}</span>`)
    expect(html).toContain(`<title>Authorize ${host}?`)
    expect(html).toContain('It calls itself <strong>Doc Client</strong> (only its address above is verified)')
    // Still fresh: not fetched again.
    expect(fetched).toHaveLength(1)

    const approved = await decide(params, cookie)
    expect(approved.status).toBe(302)
    const callback = new URL(approved.headers.get('Location') ?? '')
    expect(callback.origin + callback.pathname).toBe(REDIRECT)
    expect(callback.searchParams.get('iss')).toBe(ORIGIN)
    const code = callback.searchParams.get('code') ?? ''

    const issued = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: url,
      code_verifier: verifier,
    })
    expect(issued.status).toBe(200)
    const tokens = await issued.json<{ access_token: string; refresh_token: string; scope: string }>()
    expect(tokens.scope).toBe('read')
    const hello = await fetchWithSettings(
      new Request(`${ORIGIN}/api/hello`, { headers: { Authorization: `Bearer ${tokens.access_token}` } }),
      ON,
    )
    expect(hello.status).toBe(200)

    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: url })
    expect(refreshed.status).toBe(200)
    expect(fetched).toHaveLength(1)

    // `manage listapplications` and the console list it like any application.
    expect((await listApplications(db)).find((application) => application.clientId === url)).toMatchObject({
      name: 'Doc Client',
      clientType: 'public',
      owner: null,
    })
    const staff = await sessionOf('staff')
    const listed = await getPage(`/admin/applications/?q=${encodeURIComponent(host)}`, staff.cookie)
    expect(await listed.text()).toContain(`href="/admin/applications/${row?.id}/"`)

    // RFC 7009: the client revokes its token like any public client; the API then refuses it.
    const newer = await refreshed.json<{ access_token: string }>()
    const revoked = await fetchWithSettings(
      new Request(`${ORIGIN}/o/revoke-token/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ token: newer.access_token, client_id: url }),
      }),
      ON,
    )
    expect(revoked.status).toBe(200)
    const after = await fetchWithSettings(
      new Request(`${ORIGIN}/api/hello`, { headers: { Authorization: `Bearer ${newer.access_token}` } }),
      ON,
    )
    expect(after.status).toBe(401)
  })

  it('a public client: a token request with a client secret is refused; PKCE is required', async () => {
    const url = documentUrl()
    serveDocument(url)
    const { params } = await authorizeParams(url)
    const { code_challenge: _challenge, code_challenge_method: _method, ...withoutPkce } = params
    const refused = await authorize(withoutPkce)
    expect(refused.status).toBe(302)
    const location = new URL(refused.headers.get('Location') ?? '')
    expect(location.searchParams.get('error')).toBe('invalid_request')
    expect(location.searchParams.get('error_description')).toContain('code_challenge')
    const withSecret = await token({
      grant_type: 'authorization_code',
      code: 'eac_x',
      redirect_uri: REDIRECT,
      client_id: url,
      client_secret: 'anything-at-all',
    })
    await expectOAuthError(withSecret, 401, 'invalid_client')
  })

  it('a redirect_uri the document does not list is an error page (RFC 6749 §4.1.2.1: never redirected)', async () => {
    const url = documentUrl()
    serveDocument(url)
    const { params } = await authorizeParams(url, 'https://evil.example.com/callback')
    await expectErrorPage(await authorize(params), 'invalid_redirect_uri', 'unregistered redirect_uri')
  })

  it('a client an operator created with a URL client_id is used as it is, never fetched (draft "Pre-Registering")', async () => {
    const url = documentUrl()
    await makeApplication({
      clientId: url,
      name: 'Pre-registered',
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: [REDIRECT],
    })
    const fetched = serve(() => new Response(null, { status: 500 }))
    const { params } = await authorizeParams(url)
    for (const settings of [ON, OFF]) {
      const response = await authorize(params, { settings })
      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toMatch(/^\/accounts\/login\//)
    }
    expect(fetched).toEqual([])
    expect((await storedClient(url))?.metadataDocumentFreshUntil).toBeNull()
  })
})

describe('refusals: the URL (draft "Client Identifier", "SSRF Attacks"), each an error page, nothing fetched', () => {
  it.each([
    ['http://client.example.org/oauth/client.json', 'must use https'],
    ['https://client.example.org/', 'must have a path'],
    ['https://client.example.org', 'must have a path'],
    ['https://user:secret@client.example.org/doc.json', 'user name or password'],
    ['https://client.example.org/doc.json#part', 'fragment'],
    ['https://client.example.org/a/../doc.json', 'normal form'],
    ['https://CLIENT.example.org/doc.json', 'normal form'],
    ['https://127.0.0.1/doc.json', 'private or special-use IPv4'],
    ['https://10.0.0.7/doc.json', 'private or special-use IPv4'],
    ['https://192.168.1.1/doc.json', 'private or special-use IPv4'],
    ['https://169.254.169.254/latest/meta-data', 'private or special-use IPv4'],
    ['https://100.64.1.1/doc.json', 'private or special-use IPv4'],
    ['https://[::1]/doc.json', 'private or special-use IPv6'],
    ['https://[fd00::1]/doc.json', 'private or special-use IPv6'],
    ['https://[fe80::1]/doc.json', 'private or special-use IPv6'],
    ['https://[::ffff:7f00:1]/doc.json', 'private or special-use IPv6'],
    ['https://[::ffff:127.0.0.1]/doc.json', 'normal form'],
    ['https://localhost/doc.json', 'single label'],
    ['https://app.localhost/doc.json', 'local name'],
    ['https://printer.local/doc.json', 'local name'],
    ['https://metadata.google.internal/doc.json', 'local name'],
    ['https://localhost../doc.json', 'empty label'],
    ['https://127.0.0.1../doc.json', 'empty label'],
    ['https://nas.lan/doc.json', 'local name'],
    ['https://fritz.box/doc.json', 'local name'],
    ['https://api.default.svc/doc.json', 'local name'],
    ['https://example.com/oauth/client.json', 'not fetched from this server'],
  ])('%s: %s', async (url, reason) => {
    const fetched = serve(() => jsonResponse(documentFor(url)))
    const { params } = await authorizeParams(url)
    await expectErrorPage(await authorize(params), 'invalid_client', reason)
    expect(fetched).toEqual([])
    expect(await storedClient(url)).toBeUndefined()
  })
})

describe('refusals: this server itself', () => {
  it('a document on the issuer’s host is not fetched either', async () => {
    const url = 'https://auth.example.net/oauth/client.json'
    const fetched = serve(() => jsonResponse(documentFor(url)))
    const { params } = await authorizeParams(url)
    const response = await authorize(params, { settings: { ...ON, ISSUER: 'https://auth.example.net' } })
    await expectErrorPage(response, 'invalid_client', 'not fetched from this server')
    expect(fetched).toEqual([])
  })
})

describe('refusals: the response and the document, each an error page and no client', () => {
  const cases: [string, (url: string) => Response | Promise<Response>, string][] = [
    [
      'a redirect, not followed (draft "Client Information Discovery")',
      () => new Response(null, { status: 302, headers: { Location: 'https://10.0.0.1/doc.json' } }),
      'redirects are not followed',
    ],
    [
      'a 404',
      () => new Response('{}', { status: 404, headers: { 'Content-Type': 'application/json' } }),
      'answered 404',
    ],
    [
      'more than 5 KB (draft "Maximum Response Size")',
      (url) => jsonResponse(documentFor(url, { padding: 'x'.repeat(6000) })),
      'larger than 5120 bytes',
    ],
    [
      'more than 5 KB, streamed without a length',
      (url) =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(
                new TextEncoder().encode(JSON.stringify(documentFor(url, { padding: 'x'.repeat(6000) }))),
              )
              controller.close()
            },
          }),
          { headers: { 'Content-Type': 'application/json' } },
        ),
      'larger than 5120 bytes',
    ],
    [
      'not JSON',
      () => new Response('<html>hi</html>', { headers: { 'Content-Type': 'text/html' } }),
      'application/json',
    ],
    [
      'JSON that does not parse',
      () => new Response('{"client_id":', { headers: { 'Content-Type': 'application/json' } }),
      'not valid JSON',
    ],
    ['a JSON array', () => jsonResponse([1, 2]), 'not a JSON object'],
    [
      'another client_id (draft "Client Metadata Document": simple string comparison)',
      (url) => jsonResponse(documentFor(url, { client_id: 'https://other.example.org/oauth/client.json' })),
      'client_id is not its own URL',
    ],
    [
      'the client_id with a trailing slash',
      (url) => jsonResponse(documentFor(url, { client_id: `${url}/` })),
      'client_id is not its own URL',
    ],
    ['no redirect_uris', (url) => jsonResponse(documentFor(url, { redirect_uris: [] })), 'redirect_uris at least one'],
    [
      'a redirect URI over plain http to another machine',
      (url) => jsonResponse(documentFor(url, { redirect_uris: ['http://app.example.net/cb'] })),
      'redirect_uris.0',
    ],
    [
      'a secret-based auth method (the draft: no shared secret)',
      (url) => jsonResponse(documentFor(url, { token_endpoint_auth_method: 'client_secret_basic' })),
      'cannot carry a client secret',
    ],
    [
      'private_key_jwt without the client’s keys',
      (url) => jsonResponse(documentFor(url, { token_endpoint_auth_method: 'private_key_jwt' })),
      'needs the client’s public keys',
    ],
    [
      'a client_secret',
      (url) => jsonResponse(documentFor(url, { client_secret: 's3cret' })),
      'client_secret may not appear',
    ],
    [
      'the client_credentials grant',
      (url) => jsonResponse(documentFor(url, { grant_types: ['client_credentials'] })),
      'grant_types',
    ],
    [
      'a response type other than code',
      (url) => jsonResponse(documentFor(url, { response_types: ['token'] })),
      'must be',
    ],
    [
      'a client_name on two lines',
      (url) => jsonResponse(documentFor(url, { client_name: 'Bank\nLogin' })),
      'client_name is one line',
    ],
    [
      'a logo_uri that is not https',
      (url) => jsonResponse(documentFor(url, { logo_uri: 'javascript:alert(1)' })),
      'logo_uri must be an https URL',
    ],
    [
      'a network failure or timeout',
      () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      'could not be fetched',
    ],
  ]
  it.each(cases)('%s', async (_name, respond, reason) => {
    const url = documentUrl()
    const fetched = serve(respond)
    const { params } = await authorizeParams(url)
    await expectErrorPage(await authorize(params), 'invalid_client', reason)
    expect(fetched).toEqual([url])
    expect(await storedClient(url)).toBeUndefined()
  })
})

describe('the cache (draft "Metadata Caching"): Cache-Control, kept within 60 s – 24 h', () => {
  it.each([
    ['max-age=600', 600],
    ['public, max-age=31536000', 86_400],
    ['no-store', 60],
    ['max-age=5', 60],
    [null, 3600],
  ])('Cache-Control %s: the client stands for %i s', async (cacheControl, seconds) => {
    const url = documentUrl()
    serveDocument(url, {}, cacheControl === null ? {} : { 'Cache-Control': cacheControl })
    const before = now()
    const { params } = await authorizeParams(url)
    expect((await authorize(params)).status).toBe(302)
    const until = (await storedClient(url))?.metadataDocumentFreshUntil ?? 0
    expect(until).toBeGreaterThanOrEqual(before + seconds)
    expect(until).toBeLessThanOrEqual(now() + seconds)
  })

  it('honoured: no fetch while fresh; once stale, fetched again and the row follows the document', async () => {
    const url = documentUrl()
    let name = 'First Name'
    const fetched = serve(() =>
      jsonResponse(documentFor(url, { client_name: name }), { 'Cache-Control': 'max-age=600' }),
    )
    const { params } = await authorizeParams(url)
    await authorize(params)
    await authorize(params)
    expect(fetched).toHaveLength(1)
    const first = await storedClient(url)

    name = 'Renamed'
    await db
      .update(applications)
      .set({ metadataDocumentFreshUntil: now() - 1 })
      .where(eq(applications.clientId, url))
    await authorize(params)
    expect(fetched).toHaveLength(2)
    const second = await storedClient(url)
    expect(second?.id).toBe(first?.id)
    expect(second?.name).toBe('Renamed')
    expect(second?.metadataDocumentFreshUntil).toBeGreaterThan(now() + 500)
  })

  it('stale and the document now fails: the client is refused at /o/authorize/ and at /o/token/ (401)', async () => {
    const url = documentUrl()
    serveDocument(url)
    const tokens = await obtainTokens(url)
    await db
      .update(applications)
      .set({ metadataDocumentFreshUntil: now() - 1 })
      .where(eq(applications.clientId, url))

    const fetched = serve(() => new Response(null, { status: 410 }))
    const { params } = await authorizeParams(url)
    await expectErrorPage(await authorize(params), 'invalid_client', 'answered 410')
    const refused = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: url })
    const body = await expectOAuthError(refused, 401, 'invalid_client')
    expect(body.error_description).toContain('answered 410')
    expect(refused.headers.get('WWW-Authenticate')).toBe('Basic realm="oauth"')
    expect(fetched).toEqual([url, url])

    // Served again: the same client works again, fetched once more.
    serveDocument(url)
    const again = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: url })
    expect(again.status).toBe(200)
  })

  it('the token endpoint refreshes a stale client from its document before issuing', async () => {
    const url = documentUrl()
    serveDocument(url)
    const tokens = await obtainTokens(url)
    await db
      .update(applications)
      .set({ metadataDocumentFreshUntil: now() - 1 })
      .where(eq(applications.clientId, url))
    const fetched = serveDocument(url)
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: url })
    expect(refreshed.status).toBe(200)
    expect(fetched).toEqual([url])
    expect((await storedClient(url))?.metadataDocumentFreshUntil).toBeGreaterThan(now() + 500)
  })
})

describe('unused clients expire like registered ones (CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS)', () => {
  const DAY = 86_400

  it('a token request records the use (at most daily); the cron cleanup deletes clients unused past the lifetime', async () => {
    const config = getConfig({ CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS: String(40 * DAY) })
    const stale = documentUrl()
    const used = documentUrl()
    serve((asked) => jsonResponse(documentFor(asked)))
    await obtainTokens(stale)
    await obtainTokens(used)
    expect((await storedClient(used))?.lastUsedAt).toBeNull()
    // First seen two days ago: its next token request records the use.
    await db
      .update(applications)
      .set({ createdAt: new Date((now() - 2 * DAY) * 1000) })
      .where(eq(applications.clientId, used))
    await obtainTokens(used)
    const recorded = (await storedClient(used))?.lastUsedAt ?? 0
    expect(recorded).toBeGreaterThanOrEqual(now() - 5)

    const later = now() + 41 * DAY
    await db
      .update(applications)
      .set({ lastUsedAt: later - 39 * DAY })
      .where(eq(applications.clientId, used))
    expect(await deleteUnusedRegistrations(db, config, later)).toBeGreaterThanOrEqual(1)
    expect(await storedClient(stale)).toBeUndefined()
    expect(await storedClient(used)).toBeDefined()
  })
})

describe('CLIENT_ID_METADATA_DOCUMENTS=off', () => {
  it('a URL client_id is an unknown client, as any unknown client_id: nothing is fetched', async () => {
    const url = documentUrl()
    const fetched = serveDocument(url)
    const { params } = await authorizeParams(url)
    await expectErrorPage(
      await authorize(params, { settings: OFF }),
      'invalid_client_id',
      'Unknown or missing client_id.',
    )
    await expectErrorPage(
      await authorize(params, { settings: {} }),
      'invalid_client_id',
      'Unknown or missing client_id.',
    )
    expect(fetched).toEqual([])
  })

  it('a client that came from a document while on is unknown once off, at /o/authorize/ and /o/token/', async () => {
    const url = documentUrl()
    serveDocument(url)
    const tokens = await obtainTokens(url)
    const fetched = serveDocument(url)
    const { params } = await authorizeParams(url)
    await expectErrorPage(
      await authorize(params, { settings: OFF }),
      'invalid_client_id',
      'Unknown or missing client_id.',
    )
    const refused = await token(
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: url },
      OFF,
    )
    await expectOAuthError(refused, 401, 'invalid_client')
    expect(fetched).toEqual([])
  })

  it('the setting is validated: on or off, off by default', () => {
    expect(() => getConfig({ CLIENT_ID_METADATA_DOCUMENTS: 'yes' })).toThrow()
    expect(getConfig({}).clientIdMetadataDocuments).toBe(false)
    expect(getConfig(ON).clientIdMetadataDocuments).toBe(true)
  })
})

describe('fetches are rate-limited per client address (CLIENT_METADATA_LIMITER)', () => {
  it('past 10 fetches a minute from one address: 429 page with Retry-After, no fetch', async () => {
    // Every file's limiters start at zero (test/rate-limits.ts): an address no other test here uses.
    const ip = '203.0.113.61'
    const fetched = serve(() => new Response(null, { status: 404 }))
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const { params } = await authorizeParams(documentUrl())
      const response = await authorize(params, { headers: { 'CF-Connecting-IP': ip } })
      statuses.push(response.status)
      if (response.status === 429) {
        expect(response.headers.get('Retry-After')).toBe('60')
        await expectErrorPage(response, 'slow_down', 'Too many client metadata documents', 429)
      }
    }
    expect(statuses).toEqual([...Array(10).fill(400), 429, 429])
    expect(fetched).toHaveLength(10)
  })

  it('at /o/token/, a stale client past the limit: 429 slow_down JSON with Retry-After', async () => {
    const url = documentUrl()
    serveDocument(url)
    const tokens = await obtainTokens(url)
    await db
      .update(applications)
      .set({ metadataDocumentFreshUntil: now() - 1 })
      .where(eq(applications.clientId, url))
    const ip = '198.51.100.62'
    const fetched = serve(() => new Response(null, { status: 404 }))
    for (let i = 0; i < 10; i++) {
      const { params } = await authorizeParams(documentUrl())
      expect((await authorize(params, { headers: { 'CF-Connecting-IP': ip } })).status).toBe(400)
    }
    const limited = await fetchWithSettings(
      new Request(`${ORIGIN}/o/token/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'CF-Connecting-IP': ip },
        body: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: url }),
      }),
      ON,
    )
    await expectOAuthError(limited, 429, 'slow_down')
    expect(limited.headers.get('Retry-After')).toBe('60')
    expect(fetched).toHaveLength(10)
  })
})
