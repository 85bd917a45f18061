import { desc } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { authorizationCodes } from '../../src/db/schema.ts'
import {
  fetchWithSettings,
  form,
  getPage,
  hello,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
  postForm,
  postToken,
  REDIRECT_URI,
  tokenDbOf,
} from '../helpers.ts'

async function setup(overrides: Parameters<typeof makeApplication>[0] = {}) {
  const user = await makeUser()
  const app = await makeApplication({
    name: 'Photo Printer',
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
    state: 'xyz-123',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }
  const cookie = await login(user)
  return { user, app, pkce, params, cookie }
}

const authorizeUrl = (params: Record<string, string>) => `/o/authorize/?${new URLSearchParams(params)}`

function location(response: Response): URL {
  expect(response.status).toBe(302)
  return new URL(response.headers.get('Location') ?? '', 'https://example.com')
}

function redeem(app: { clientId: string; clientSecret: string | null }, code: string, verifier: string) {
  return postToken(
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }),
  )
}

async function approve(params: Record<string, string>, cookie: string, allow = 'Approve') {
  return postForm('/o/authorize/', { ...params, allow }, { Cookie: cookie })
}

describe('GET /o/authorize/', () => {
  it('RFC 6749 §4.1.1: not logged in → 302 to the login page with next', async () => {
    const { params } = await setup()
    const target = location(await getPage(authorizeUrl(params)))
    expect(target.pathname).toBe('/accounts/login/')
    expect(target.searchParams.get('next')).toBe(authorizeUrl(params))
  })

  it('shows a consent page naming the application and each scope with its description, not frameable', async () => {
    const { params, cookie } = await setup()
    const response = await getPage(authorizeUrl(params), cookie)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    expect(response.headers.get('X-Frame-Options')).toBe('DENY')
    const html = await response.text()
    expect(html).toContain('Photo Printer')
    expect(html).toContain('<strong>read</strong>: Read scope')
    expect(html).toContain('<strong>write</strong>: Write scope')
    expect(html).not.toContain('<strong>groups</strong>')
    expect(html).toContain('value="Approve"')
    expect(html).toContain('value="Deny"')
  })

  it('RFC 6749 §4.1.2 + RFC 7636: Approve → redirect with code and state; the code redeems with PKCE', async () => {
    const { app, params, cookie, pkce } = await setup()
    const target = location(await approve(params, cookie))
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI)
    expect(target.searchParams.get('state')).toBe('xyz-123')
    // RFC 9207 §2: the issuer, as the metadata names it.
    expect(target.searchParams.get('iss')).toBe(ORIGIN)
    const code = target.searchParams.get('code') ?? ''
    expect(code).toMatch(/^eac_/)
    const response = await redeem(app, code, pkce.verifier)
    expect(response.status).toBe(200)
    const body = await response.json<{ access_token: string; scope: string }>()
    expect(body.scope).toBe('read write')
    expect((await hello(body.access_token)).status).toBe(200)
  })

  it('carries the OIDC nonce and the login time through the code', async () => {
    const { params, cookie } = await setup()
    const before = Math.floor(Date.now() / 1000)
    const code = location(await approve({ ...params, nonce: 'n-0S6_WzA2Mj' }, cookie)).searchParams.get('code') ?? ''
    // In the shard the code names (src/tokens/shards.ts).
    const { db: tokens } = await tokenDbOf(code)
    const grant = await tokens.select().from(authorizationCodes).orderBy(desc(authorizationCodes.id)).get()
    expect(grant?.nonce).toBe('n-0S6_WzA2Mj')
    expect(Math.abs((grant?.authTime ?? 0) - before)).toBeLessThan(5)
    expect(grant?.codeChallengeMethod).toBe('S256')
    // AUTHORIZATION_CODE_EXPIRE_SECONDS (60)
    expect(Math.abs((grant?.expiresAt ?? 0) - before - 60)).toBeLessThan(5)
  })

  it('RFC 7636 §4.2: PKCE_ALLOW_PLAIN lets a client use plain, end to end', async () => {
    const { app, params, cookie } = await setup()
    const call = (request: Request) => fetchWithSettings(request, { PKCE_ALLOW_PLAIN: 'true' })
    const verifier = 'plain-verifier-plain-verifier-plain-verifier-0123'
    const query = { ...params, code_challenge: verifier, code_challenge_method: 'plain' }
    const consent = await call(
      new Request(`https://example.com${authorizeUrl(query)}`, { headers: { Cookie: cookie }, redirect: 'manual' }),
    )
    expect(consent.status).toBe(200)
    const approved = await call(
      new Request('https://example.com/o/authorize/', {
        method: 'POST',
        redirect: 'manual',
        headers: { Cookie: cookie, Origin: 'https://example.com', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ ...query, allow: 'Approve' }),
      }),
    )
    const code = location(approved).searchParams.get('code') ?? ''
    expect((await redeem(app, code, verifier)).status).toBe(200)
    const metadata = await call(new Request('https://example.com/.well-known/oauth-authorization-server'))
    expect((await metadata.json<Record<string, unknown>>()).code_challenge_methods_supported).toEqual(['S256', 'plain'])
  })

  it('RFC 6749 §4.1.2.1: Deny → redirect with error=access_denied and state', async () => {
    const { params, cookie } = await setup()
    const target = location(await approve(params, cookie, 'Deny'))
    expect(target.searchParams.get('error')).toBe('access_denied')
    expect(target.searchParams.get('state')).toBe('xyz-123')
    expect(target.searchParams.get('code')).toBeNull()
  })

  it('RFC 6749 §4.1.2.1: the consent form is CSRF-protected (cross-site post → 403, no code)', async () => {
    const { params, cookie } = await setup()
    const response = await postForm(
      '/o/authorize/',
      { ...params, allow: 'Approve' },
      {
        Cookie: cookie,
        Origin: 'https://evil.example',
      },
    )
    expect(response.status).toBe(403)
    expect(response.headers.get('Location')).toBeNull()
  })

  it('a consent post without a session goes to the login page', async () => {
    const { params } = await setup()
    expect(location(await approve(params, '')).pathname).toBe('/accounts/login/')
  })

  it('skip_authorization applications skip the consent page', async () => {
    const { params, cookie } = await setup({ skipAuthorization: true })
    expect(location(await getPage(authorizeUrl(params), cookie)).searchParams.get('code')).toMatch(/^eac_/)
  })

  it("DOT APPROVAL_PROMPT='auto': an earlier approval with a live token covering the scopes skips consent", async () => {
    const { app, params, cookie, pkce } = await setup()
    const code = location(await approve(params, cookie)).searchParams.get('code') ?? ''
    await redeem(app, code, pkce.verifier)
    // Same or fewer scopes: straight to the redirect.
    expect(
      location(await getPage(authorizeUrl({ ...params, scope: 'read' }), cookie)).searchParams.get('code'),
    ).toMatch(/^eac_/)
    // More scopes than approved: ask again.
    expect((await getPage(authorizeUrl({ ...params, scope: 'read write groups' }), cookie)).status).toBe(200)
  })

  it('RFC 6749 §3.1.2: an http redirect_uri is accepted for 127.0.0.1', async () => {
    const { params, cookie } = await setup()
    const target = location(await approve({ ...params, redirect_uri: 'http://127.0.0.1:9000/cb' }, cookie))
    expect(target.origin).toBe('http://127.0.0.1:9000')
    expect(target.searchParams.get('code')).toMatch(/^eac_/)
  })
})

describe('GET /o/authorize/ errors', () => {
  it('RFC 6749 §4.1.2.1: an unknown or missing client_id → HTML error page, never a redirect', async () => {
    const { params, cookie } = await setup()
    for (const query of [
      { ...params, client_id: 'unknown' },
      { ...params, client_id: '' },
    ]) {
      const response = await getPage(authorizeUrl(query), cookie)
      expect(response.status).toBe(400)
      expect(response.headers.get('Location')).toBeNull()
      expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
      expect(await response.text()).toContain('invalid_client_id')
    }
    const { client_id: _, ...rest } = params
    expect((await getPage(authorizeUrl(rest), cookie)).status).toBe(400)
  })

  it('RFC 6749 §3.1.2.4 / RFC 9700 §4.1: a missing or unregistered redirect_uri → HTML error page, no open redirect', async () => {
    const { params, cookie } = await setup()
    const { redirect_uri: _, ...missing } = params
    const candidates = [
      missing,
      { ...params, redirect_uri: 'https://evil.example/callback' },
      { ...params, redirect_uri: `${REDIRECT_URI}/extra` },
      { ...params, redirect_uri: `${REDIRECT_URI}?x=1` },
      { ...params, redirect_uri: REDIRECT_URI.toUpperCase() },
      { ...params, redirect_uri: 'https://client.example.com.evil.example/callback' },
    ]
    for (const query of candidates) {
      const response = await getPage(authorizeUrl(query), cookie)
      expect(response.status).toBe(400)
      expect(response.headers.get('Location')).toBeNull()
      expect(await response.text()).toContain('invalid_redirect_uri')
    }
    // The same on the consent form's POST: an unregistered redirect_uri is never followed.
    const posted = await approve({ ...params, redirect_uri: 'https://evil.example/callback' }, cookie)
    expect(posted.status).toBe(400)
    expect(posted.headers.get('Location')).toBeNull()
  })

  it('RFC 6749 §3.1: a repeated redirect_uri → HTML error page', async () => {
    const { params, cookie } = await setup()
    const response = await getPage(`${authorizeUrl(params)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`, cookie)
    expect(response.status).toBe(400)
  })

  const redirected = [
    ['unsupported_response_type', { response_type: 'token' }],
    ['invalid_request', { response_type: '' }],
    ['invalid_scope', { scope: 'read admin' }],
    ['invalid_request', { code_challenge_method: 'plain' }],
    ['invalid_request', { code_challenge_method: 'S512' }],
    ['invalid_request', { code_challenge: 'short' }],
  ] as const
  for (const [error, change] of redirected) {
    it(`RFC 6749 §4.1.2.1 / RFC 7636 §4.4.1: ${JSON.stringify(change)} → redirect with error=${error} and state`, async () => {
      const { params, cookie } = await setup()
      const target = location(await getPage(authorizeUrl({ ...params, ...change }), cookie))
      expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI)
      expect(target.searchParams.get('error')).toBe(error)
      expect(target.searchParams.get('state')).toBe('xyz-123')
      expect(target.searchParams.get('iss')).toBe(ORIGIN)
    })
  }

  it('RFC 9207 §2: iss names the issuer of the metadata, also on a denial and with ISSUER set', async () => {
    const { params, cookie } = await setup()
    const metadata = await getPage('/.well-known/oauth-authorization-server')
    const advertised = await metadata.json<{
      issuer: string
      authorization_response_iss_parameter_supported: boolean
    }>()
    expect(advertised.authorization_response_iss_parameter_supported).toBe(true)
    const denied = location(await approve(params, cookie, 'Deny'))
    expect(denied.searchParams.get('error')).toBe('access_denied')
    expect(denied.searchParams.get('iss')).toBe(advertised.issuer)

    const configured = await fetchWithSettings(
      new Request(`https://example.com${authorizeUrl({ ...params, scope: 'admin' })}`, {
        headers: { Cookie: cookie },
        redirect: 'manual',
      }),
      { ISSUER: 'https://id.example.org/' },
    )
    expect(location(configured).searchParams.get('iss')).toBe('https://id.example.org')
  })

  it('RFC 6749 §3.1: a repeated parameter → redirect with invalid_request', async () => {
    const { params, cookie } = await setup()
    const target = location(await getPage(`${authorizeUrl(params)}&scope=read`, cookie))
    expect(target.searchParams.get('error')).toBe('invalid_request')
  })

  it('RFC 7636 §4.4.1: a public client without code_challenge → redirect with invalid_request', async () => {
    const { params, cookie } = await setup({ clientType: 'public' })
    const { code_challenge: _, code_challenge_method: __, ...rest } = params
    const target = location(await getPage(authorizeUrl(rest), cookie))
    expect(target.searchParams.get('error')).toBe('invalid_request')
    expect(target.searchParams.get('error_description')).toContain('code_challenge')
  })

  it('RFC 7636 §4.4.1: a confidential client may omit PKCE', async () => {
    const { params, cookie } = await setup()
    const { code_challenge: _, code_challenge_method: __, ...rest } = params
    expect((await getPage(authorizeUrl(rest), cookie)).status).toBe(200)
  })

  it('RFC 6749 §4.1.2.1: an application without the authorization-code grant → unauthorized_client', async () => {
    const { params, cookie } = await setup({ grantTypes: ['password'] })
    expect(location(await getPage(authorizeUrl(params), cookie)).searchParams.get('error')).toBe('unauthorized_client')
  })
})
