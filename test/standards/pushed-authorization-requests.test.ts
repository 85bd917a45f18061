/**
 * Pushed authorization requests (RFC 9126): POST /o/par/ with client authentication answers a
 * request_uri; /o/authorize/ with client_id and that request_uri runs the pushed request through
 * the same checks, consent page and code as a request sent in the URL. The request_uri is single
 * use, short-lived and bound to its client; PAR can be required per client and server-wide.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { applications, pushedAuthorizationRequests } from '../../src/db/schema.ts'
import { clearExpiredTokens } from '../../src/tokens/cleanup.ts'
import {
  basic,
  db,
  expectOAuthError,
  fetchWithSettings,
  form,
  getPage,
  inEveryTokenDatabase,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
  postToken,
  REDIRECT_URI,
} from '../helpers.ts'

const URN = 'urn:ietf:params:oauth:request_uri:'

type Settings = Record<string, string | undefined>

async function setup(overrides: Parameters<typeof makeApplication>[0] = {}) {
  const user = await makeUser()
  const app = await makeApplication({
    name: 'Pushy Printer',
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI, 'http://127.0.0.1:9000/cb'],
    ...overrides,
  })
  const pkce = await pkcePair()
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'read write',
    state: 'par-state-1',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }
  const auth: Record<string, string> = app.clientSecret ? { Authorization: basic(app.clientId, app.clientSecret) } : {}
  return { user, app, pkce, params, auth }
}

/** POST /o/par/ with a form body (and `headers`, e.g. client authentication). */
function push(body: string | Record<string, string>, headers: Record<string, string> = {}, settings: Settings = {}) {
  return fetchWithSettings(
    new Request(`${ORIGIN}/o/par/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: typeof body === 'string' ? body : form(body),
    }),
    settings,
  )
}

/** A successful push: the request_uri. */
async function pushed(params: Record<string, string>, headers: Record<string, string>, settings: Settings = {}) {
  const response = await push(params, headers, settings)
  expect(response.status).toBe(201)
  const body = await response.json<{ request_uri: string; expires_in: number }>()
  return body.request_uri
}

function authorizeGet(query: Record<string, string>, cookie?: string, settings: Settings = {}) {
  return fetchWithSettings(
    new Request(`${ORIGIN}/o/authorize/?${new URLSearchParams(query)}`, {
      redirect: 'manual',
      headers: cookie ? { Cookie: cookie } : {},
    }),
    settings,
  )
}

function decide(fields: Record<string, string>, cookie: string, allow = 'Approve', settings: Settings = {}) {
  return fetchWithSettings(
    new Request(`${ORIGIN}/o/authorize/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ ...fields, allow }),
    }),
    settings,
  )
}

/** The hidden fields of the consent form. */
function consentFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[match[1]] = match[2].replaceAll('&amp;', '&').replaceAll('&quot;', '"')
  }
  return fields
}

function location(response: Response): URL {
  expect(response.status).toBe(302)
  return new URL(response.headers.get('Location') ?? '', ORIGIN)
}

async function expectErrorPage(response: Response, error: string) {
  expect(response.status).toBe(400)
  expect(response.headers.get('Location')).toBeNull()
  expect(response.headers.get('Content-Type')).toContain('text/html')
  expect(await response.text()).toContain(error)
}

function redeem(app: { clientId: string; clientSecret: string | null }, code: string, verifier: string) {
  return postToken(
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: app.clientId,
      ...(app.clientSecret ? { client_secret: app.clientSecret } : {}),
    }),
  )
}

describe('RFC 9126 §5: metadata', () => {
  it('names the PAR endpoint; require_pushed_authorization_requests follows the server-wide setting', async () => {
    const metadata = await (await getPage('/.well-known/oauth-authorization-server')).json<Record<string, unknown>>()
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${ORIGIN}/o/par/`)
    expect(metadata.require_pushed_authorization_requests).toBe(false)
    const required = await fetchWithSettings(new Request(`${ORIGIN}/.well-known/openid-configuration`), {
      REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'true',
    })
    const discovery = await required.json<Record<string, unknown>>()
    expect(discovery.pushed_authorization_request_endpoint).toBe(`${ORIGIN}/o/par/`)
    expect(discovery.require_pushed_authorization_requests).toBe(true)
  })
})

describe('RFC 9126 §2: the push', () => {
  it('§2.2: 201 with a request_uri (urn:ietf:params:oauth:request_uri:…) and expires_in, not stored by caches', async () => {
    const { params, auth } = await setup()
    const response = await push(params, auth)
    expect(response.status).toBe(201)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<{ request_uri: string; expires_in: number }>()
    expect(body.request_uri.startsWith(URN)).toBe(true)
    // §7.1: the reference cannot be guessed (256 random bits, more than the 128 the RFC asks).
    expect(body.request_uri.length).toBeGreaterThan(URN.length + 43)
    expect(body.expires_in).toBe(300)
    // Only its digest is stored.
    const row = await db.select().from(pushedAuthorizationRequests).orderBy(pushedAuthorizationRequests.id).all()
    expect(JSON.stringify(row.at(-1))).not.toContain(body.request_uri.slice(URN.length))
  })

  it('§2.2: expires_in follows PUSHED_AUTHORIZATION_REQUEST_EXPIRE_SECONDS', async () => {
    const { params, auth } = await setup()
    const response = await push(params, auth, { PUSHED_AUTHORIZATION_REQUEST_EXPIRE_SECONDS: '60' })
    expect((await response.json<{ expires_in: number }>()).expires_in).toBe(60)
  })

  it('§2: client_secret_post authenticates as at the token endpoint', async () => {
    const { app, params } = await setup()
    expect((await push({ ...params, client_secret: app.clientSecret ?? '' })).status).toBe(201)
  })

  it('§2: a public client pushes with its client_id, as it would call the token endpoint', async () => {
    const { params } = await setup({ clientType: 'public' })
    expect((await push(params)).status).toBe(201)
  })

  it('§2.1: an unauthenticated push is refused: no credentials, a confidential client without or with a wrong secret (401 invalid_client)', async () => {
    const { app, params } = await setup()
    const { client_id: _, ...withoutClient } = params
    for (const [body, headers] of [
      [withoutClient, {}],
      [params, {}],
      [{ ...params, client_secret: 'not-the-secret' }, {}],
      [params, { Authorization: basic(app.clientId, 'not-the-secret') }],
    ] as const) {
      const response = await push(body, headers)
      await expectOAuthError(response, 401, 'invalid_client')
      expect(response.headers.get('WWW-Authenticate')).toContain('Basic')
    }
    expect(
      await db.select().from(pushedAuthorizationRequests).where(eq(pushedAuthorizationRequests.applicationId, app.id)),
    ).toEqual([])
  })

  it('§2.1: a request_uri in the push is refused (invalid_request)', async () => {
    const { params, auth } = await setup()
    const body = await expectOAuthError(
      await push({ ...params, request_uri: `${URN}abc` }, auth),
      400,
      'invalid_request',
    )
    expect(body.error_description).toContain('request_uri')
  })

  it('§2.1 / §2.3: the pushed request is validated as an authorization request, errors in the token endpoint format', async () => {
    const { app, params, auth } = await setup()
    const refused = async (changes: Record<string, string | undefined>, error: string) => {
      const body = Object.fromEntries(
        Object.entries({ ...params, ...changes }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      )
      await expectOAuthError(await push(body, auth), 400, error)
    }
    await refused({ redirect_uri: 'https://evil.example/cb' }, 'invalid_request')
    await refused({ redirect_uri: undefined }, 'invalid_request')
    await refused({ response_type: 'token' }, 'unsupported_response_type')
    await refused({ response_type: undefined }, 'invalid_request')
    await refused({ scope: 'read nonsense' }, 'invalid_scope')
    await refused({ resource: 'https://elsewhere.example/api' }, 'invalid_target')
    await refused({ code_challenge_method: 'plain' }, 'invalid_request')
    await refused({ prompt: 'none login' }, 'invalid_request')
    await refused({ client_id: 'someone-else' }, 'invalid_request')
    // §3.1 of RFC 6749: parameters are sent once.
    await expectOAuthError(await push(`${form(params)}&scope=read`, auth), 400, 'invalid_request')
    const noCodeGrant = await setup({ grantTypes: ['password'] })
    await expectOAuthError(await push(noCodeGrant.params, noCodeGrant.auth), 400, 'unauthorized_client')
    const publicClient = await setup({ clientType: 'public' })
    const { code_challenge: _, code_challenge_method: __, ...withoutPkce } = publicClient.params
    await expectOAuthError(await push(withoutPkce), 400, 'invalid_request')
    expect(
      await db.select().from(pushedAuthorizationRequests).where(eq(pushedAuthorizationRequests.applicationId, app.id)),
    ).toEqual([])
  })

  it('§2.3: only a form-encoded POST (405 with Allow, 400 for JSON)', async () => {
    const wrongMethod = await getPage('/o/par/')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('Allow')).toBe('POST')
    const { params, auth } = await setup()
    const json = await fetchWithSettings(
      new Request(`${ORIGIN}/o/par/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...auth },
        body: JSON.stringify(params),
      }),
      {},
    )
    await expectOAuthError(json, 400, 'invalid_request')
  })
})

describe('RFC 9126 §4: the authorization request with a request_uri', () => {
  it('runs the pushed request: same consent page, code for the pushed redirect_uri and PKCE challenge, tokens', async () => {
    const { user, app, pkce, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    const cookie = await login(user)
    const page = await authorizeGet({ client_id: app.clientId, request_uri: requestUri }, cookie)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Pushy Printer')
    expect(html).toContain('<strong>read</strong>: Read scope')
    expect(html).toContain('<strong>write</strong>: Write scope')
    // The consent form carries the reference, not the parameters the browser could change.
    expect(consentFields(html)).toEqual({ client_id: app.clientId, request_uri: requestUri })

    const target = location(await decide(consentFields(html), cookie))
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI)
    expect(target.searchParams.get('state')).toBe('par-state-1')
    expect(target.searchParams.get('iss')).toBe(ORIGIN)
    const code = target.searchParams.get('code') ?? ''
    const response = await redeem(app, code, pkce.verifier)
    expect(response.status).toBe(200)
    expect((await response.json<{ scope: string }>()).scope).toBe('read write')
  })

  it('§4: parameters outside the pushed request are ignored (the pushed ones are used)', async () => {
    const { user, app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    const cookie = await login(user)
    const page = await authorizeGet(
      {
        client_id: app.clientId,
        request_uri: requestUri,
        scope: 'groups',
        redirect_uri: 'http://127.0.0.1:9000/cb',
        state: 'other',
      },
      cookie,
    )
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).not.toContain('<strong>groups</strong>')
    const target = location(await decide(consentFields(html), cookie))
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI)
    expect(target.searchParams.get('state')).toBe('par-state-1')
  })

  it('§4: single use: once the authorization response is sent, the request_uri is refused (error page)', async () => {
    const { user, app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    const cookie = await login(user)
    const fields = { client_id: app.clientId, request_uri: requestUri }
    // A reload before the answer is allowed (§4: "MAY allow for duplicate requests").
    expect((await authorizeGet(fields, cookie)).status).toBe(200)
    expect((await authorizeGet(fields, cookie)).status).toBe(200)
    expect(location(await decide(fields, cookie)).searchParams.get('code')).toMatch(/^eac_/)
    await expectErrorPage(await authorizeGet(fields, cookie), 'invalid_request_uri')
    const again = await decide(fields, cookie)
    await expectErrorPage(again, 'invalid_request_uri')
  })

  it('§4: a denial is the request’s one answer too', async () => {
    const { user, app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    const cookie = await login(user)
    const fields = { client_id: app.clientId, request_uri: requestUri }
    const target = location(await decide(fields, cookie, 'Deny'))
    expect(target.searchParams.get('error')).toBe('access_denied')
    expect(target.searchParams.get('state')).toBe('par-state-1')
    await expectErrorPage(await decide(fields, cookie), 'invalid_request_uri')
  })

  it('§4: concurrent approvals of one request_uri mint one code', async () => {
    const { user, app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    const cookie = await login(user)
    const fields = { client_id: app.clientId, request_uri: requestUri }
    const responses = await Promise.all(Array.from({ length: 10 }, () => decide(fields, cookie)))
    expect(responses.filter((response) => response.status === 302)).toHaveLength(1)
    const codes = await inEveryTokenDatabase('SELECT id FROM authorization_codes WHERE application_id = ?', app.id)
    expect(codes).toHaveLength(1)
  })

  it('§4: an expired request_uri is refused (error page)', async () => {
    const { user, app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    await db
      .update(pushedAuthorizationRequests)
      .set({ expiresAt: Math.floor(Date.now() / 1000) - 1 })
      .where(eq(pushedAuthorizationRequests.applicationId, app.id))
    await expectErrorPage(
      await authorizeGet({ client_id: app.clientId, request_uri: requestUri }, await login(user)),
      'invalid_request_uri',
    )
  })

  it('§4: bound to its client: another client_id, none, or a made-up request_uri is refused (error page)', async () => {
    const { user, app, params, auth } = await setup()
    const other = await setup()
    const requestUri = await pushed(params, auth)
    const cookie = await login(user)
    await expectErrorPage(
      await authorizeGet({ client_id: other.app.clientId, request_uri: requestUri }, cookie),
      'invalid_request_uri',
    )
    await expectErrorPage(await authorizeGet({ request_uri: requestUri }, cookie), 'invalid_client_id')
    await expectErrorPage(
      await authorizeGet({ client_id: app.clientId, request_uri: `${URN}made-up` }, cookie),
      'invalid_request_uri',
    )
    await expectErrorPage(
      await authorizeGet({ client_id: app.clientId, request_uri: 'https://client.example/request.jwt' }, cookie),
      'invalid_request_uri',
    )
    // Still usable by its own client after those attempts.
    expect((await authorizeGet({ client_id: app.clientId, request_uri: requestUri }, cookie)).status).toBe(200)
  })

  it('OIDC prompt=login: the login page comes back to the request_uri, and a login after the push satisfies it', async () => {
    const { user, app, params, auth } = await setup()
    // Whole seconds apart (login times and the push's are in seconds): logged in, then the push, then the new login.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const earlier = await login(user)
      vi.setSystemTime(Date.now() + 10_000)
      const requestUri = await pushed({ ...params, prompt: 'login' }, auth)
      const fields = { client_id: app.clientId, request_uri: requestUri }
      const toLogin = location(await authorizeGet(fields, earlier))
      expect(toLogin.pathname).toBe('/accounts/login/')
      const next = toLogin.searchParams.get('next') ?? ''
      expect(next).toBe(`/o/authorize/?${new URLSearchParams(fields)}`)
      vi.setSystemTime(Date.now() + 10_000)
      const cookie = await login(user)
      // Back from the login: the consent page, not the login page again.
      expect((await getPage(next, cookie)).status).toBe(200)
    } finally {
      vi.useRealTimers()
    }
  })

  it('not logged in: to the login page, and back to the request_uri', async () => {
    const { app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    const toLogin = location(await authorizeGet({ client_id: app.clientId, request_uri: requestUri }))
    expect(toLogin.pathname).toBe('/accounts/login/')
    expect(toLogin.searchParams.get('next')).toBe(
      `/o/authorize/?${new URLSearchParams({ client_id: app.clientId, request_uri: requestUri })}`,
    )
  })

  it('OIDC prompt=none without a login: login_required to the pushed redirect_uri, and the request_uri is used', async () => {
    const { app, params, auth } = await setup()
    const requestUri = await pushed({ ...params, prompt: 'none' }, auth)
    const fields = { client_id: app.clientId, request_uri: requestUri }
    const target = location(await authorizeGet(fields))
    expect(target.searchParams.get('error')).toBe('login_required')
    expect(target.searchParams.get('state')).toBe('par-state-1')
    await expectErrorPage(await authorizeGet(fields), 'invalid_request_uri')
  })

  it('re-checked at use: a redirect_uri the client no longer has sends no code there', async () => {
    const { user, app, params, auth } = await setup()
    const requestUri = await pushed(params, auth)
    await db
      .update(applications)
      .set({ redirectUris: ['http://127.0.0.1:9000/cb'] })
      .where(eq(applications.id, app.id))
    await expectErrorPage(
      await authorizeGet({ client_id: app.clientId, request_uri: requestUri }, await login(user)),
      'invalid_redirect_uri',
    )
  })
})

describe('RFC 9126 §5/§6: require_pushed_authorization_requests', () => {
  it('§6: a client that requires PAR: a request in the URL is refused (invalid_request to its redirect_uri); a pushed one works', async () => {
    const { user, app, params, auth } = await setup({ requirePushedAuthorizationRequests: true })
    const cookie = await login(user)
    const direct = location(await authorizeGet(params, cookie))
    expect(direct.searchParams.get('error')).toBe('invalid_request')
    expect(direct.searchParams.get('error_description')).toContain('pushed')
    const requestUri = await pushed(params, auth)
    expect((await authorizeGet({ client_id: app.clientId, request_uri: requestUri }, cookie)).status).toBe(200)
  })

  it('§5: REQUIRE_PUSHED_AUTHORIZATION_REQUESTS requires it of every client', async () => {
    const settings = { REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'true' }
    const { user, app, params, auth } = await setup()
    const cookie = await login(user)
    expect(location(await authorizeGet(params, cookie, settings)).searchParams.get('error')).toBe('invalid_request')
    // A consent post carrying the parameters is a request in the URL too.
    expect(location(await decide(params, cookie, 'Approve', settings)).searchParams.get('error')).toBe(
      'invalid_request',
    )
    const requestUri = await pushed(params, auth, settings)
    const fields = { client_id: app.clientId, request_uri: requestUri }
    expect((await authorizeGet(fields, cookie, settings)).status).toBe(200)
    expect(location(await decide(fields, cookie, 'Approve', settings)).searchParams.get('code')).toMatch(/^eac_/)
  })
})

describe('cleanup', () => {
  it('the cron cleanup deletes expired pushed requests and keeps live ones', async () => {
    const { app, params, auth } = await setup()
    await pushed(params, auth)
    await pushed(params, auth)
    const rows = await db
      .select()
      .from(pushedAuthorizationRequests)
      .where(eq(pushedAuthorizationRequests.applicationId, app.id))
    const now = Math.floor(Date.now() / 1000)
    await db
      .update(pushedAuthorizationRequests)
      .set({ expiresAt: now - 10 })
      .where(eq(pushedAuthorizationRequests.id, rows[0].id))
    await clearExpiredTokens(db, undefined, now)
    const left = await db
      .select()
      .from(pushedAuthorizationRequests)
      .where(eq(pushedAuthorizationRequests.applicationId, app.id))
    expect(left.map((row) => row.id)).toEqual([rows[1].id])
  })
})

describe('RFC 9126 §6: require_pushed_authorization_requests by registration and by the CLI', () => {
  const OPEN = { CLIENT_REGISTRATION: 'open' }
  const register = (metadata: Record<string, unknown>) =>
    fetchWithSettings(
      new Request(`${ORIGIN}/o/register/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI], ...metadata }),
      }),
      OPEN,
    )

  it('RFC 7591 §2 + RFC 9126 §6: a registered client may require PAR; the response says so; a direct request is refused', async () => {
    const response = await register({ require_pushed_authorization_requests: true })
    expect(response.status).toBe(201)
    const client = await response.json<{ client_id: string; require_pushed_authorization_requests: boolean }>()
    expect(client.require_pushed_authorization_requests).toBe(true)
    const { params } = await setup()
    const cookie = await login(await makeUser())
    const direct = location(await authorizeGet({ ...params, client_id: client.client_id }, cookie, OPEN))
    expect(direct.searchParams.get('error')).toBe('invalid_request')
    // Omitted: false (§6), and not echoed.
    const plain = await (await register({})).json<{ require_pushed_authorization_requests?: boolean }>()
    expect(plain.require_pushed_authorization_requests).toBeUndefined()
  })

  it('RFC 7591 §3.2.2: a value that is not a boolean is invalid_client_metadata', async () => {
    await expectOAuthError(
      await register({ require_pushed_authorization_requests: 'yes' }),
      400,
      'invalid_client_metadata',
    )
  })
})

describe('RFC 9126 with a client ID metadata document', () => {
  it('a document’s (public) client pushes before its first authorization request; with the setting off it is unknown', async () => {
    const clientId = `https://par${Date.now().toString(36)}.example.org/oauth/client.json`
    vi.stubGlobal('fetch', async () =>
      Response.json(
        { client_id: clientId, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' },
        { headers: { 'Cache-Control': 'max-age=600' } },
      ),
    )
    try {
      const { params } = await setup()
      const request = { ...params, client_id: clientId }
      const on = { CLIENT_ID_METADATA_DOCUMENTS: 'on' }
      expect((await push(request, {}, on)).status).toBe(201)
      await expectOAuthError(await push(request, {}, { CLIENT_ID_METADATA_DOCUMENTS: 'off' }), 401, 'invalid_client')
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
