/**
 * RP-Initiated Logout 1.0: the request validation (the piece that needs no session), then
 * /o/logout/ over HTTP: session ended, redirect or logged-out page, confirmation, error pages.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { generateSigningKeySet, loadSigningKeys } from '../../src/crypto/signing-keys.ts'
import { OAuthError } from '../../src/http/oauth.ts'
import { createIdToken } from '../../src/oauth/oidc/id-token.ts'
import { type LogoutRequest, validateLogoutRequest } from '../../src/oauth/oidc/logout.ts'
import { db, getPage, login, makeApplication, makeUser, postForm } from '../helpers.ts'

const ISSUER = 'https://example.com'
const RETURN = 'https://rp.example/logged-out'

async function setup(options: { issuedAt?: number; lifetime?: number; secret?: string; issuer?: string } = {}) {
  const user = await makeUser()
  const app = await makeApplication({ postLogoutRedirectUris: [RETURN, 'https://rp.example/other?x=1'] })
  const hint = await createIdToken({
    keys: await loadSigningKeys(options.secret ?? env.OIDC_SIGNING_KEYS),
    issuer: options.issuer ?? ISSUER,
    clientId: app.clientId,
    user,
    scopes: ['openid'],
    authTime: 1_700_000_000,
    algorithm: 'RS256',
    lifetime: options.lifetime ?? 600,
    issuedAt: options.issuedAt,
  })
  return { user, app, hint }
}

async function validate(request: LogoutRequest) {
  return validateLogoutRequest(db, await loadSigningKeys(env.OIDC_SIGNING_KEYS), ISSUER, request)
}

async function expectInvalid(request: LogoutRequest, message: string) {
  const error = await validate(request).then(
    () => null,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(OAuthError)
  expect((error as OAuthError).code).toBe('invalid_request')
  expect((error as OAuthError).message).toContain(message)
}

describe('validateLogoutRequest', () => {
  it('RP-Initiated Logout §3: a registered post_logout_redirect_uri gets the state appended', async () => {
    const { user, app, hint } = await setup()
    const result = await validate({ id_token_hint: hint, post_logout_redirect_uri: RETURN, state: 'af0ifjsldkj' })
    expect(result).toEqual({
      subject: String(user.id),
      clientId: app.clientId,
      redirectTo: `${RETURN}?state=af0ifjsldkj`,
    })
  })

  it('keeps the registered URI query and adds no state when none was sent', async () => {
    const { hint } = await setup()
    const result = await validate({ id_token_hint: hint, post_logout_redirect_uri: 'https://rp.example/other?x=1' })
    expect(result.redirectTo).toBe('https://rp.example/other?x=1')
  })

  it('RP-Initiated Logout §2: an expired id_token_hint is still accepted', async () => {
    const { user, hint } = await setup({ issuedAt: Math.floor(Date.now() / 1000) - 7200, lifetime: 60 })
    const result = await validate({ id_token_hint: hint })
    expect(result.subject).toBe(String(user.id))
    expect(result.redirectTo).toBeNull()
  })

  it('with no parameters at all, the OP shows its own page', async () => {
    expect(await validate({})).toEqual({ subject: null, clientId: null, redirectTo: null })
  })

  it('client_id alone identifies the client for the redirect', async () => {
    const { app } = await setup()
    const result = await validate({ client_id: app.clientId, post_logout_redirect_uri: RETURN })
    expect(result).toEqual({ subject: null, clientId: app.clientId, redirectTo: RETURN })
  })

  it('a hint verified by an older key still in the set is accepted (key rotation)', async () => {
    const { hint } = await setup()
    const keys = JSON.parse(env.OIDC_SIGNING_KEYS).keys
    const rotated = JSON.stringify({ keys: [...keys, ...JSON.parse(await generateSigningKeySet(['RS256'])).keys] })
    const result = await validateLogoutRequest(db, await loadSigningKeys(rotated), ISSUER, { id_token_hint: hint })
    expect(result.subject).not.toBeNull()
  })

  it('RP-Initiated Logout §2: refuses a hint signed by a key not configured here', async () => {
    const { hint } = await setup({ secret: await generateSigningKeySet(['RS256']) })
    await expectInvalid({ id_token_hint: hint }, 'id_token_hint')
  })

  it('RP-Initiated Logout §2: refuses a hint from another issuer', async () => {
    const { hint } = await setup({ issuer: 'https://other.example' })
    await expectInvalid({ id_token_hint: hint }, 'id_token_hint')
  })

  it('refuses a hint that is not a JWT', async () => {
    await expectInvalid({ id_token_hint: 'not-a-jwt' }, 'id_token_hint')
  })

  it('refuses a hint whose signature was tampered with', async () => {
    const { hint } = await setup()
    const [header, payload] = hint.split('.')
    await expectInvalid({ id_token_hint: `${header}.${payload}.${'A'.repeat(342)}` }, 'id_token_hint')
  })

  it('RP-Initiated Logout §2: refuses a client_id that differs from the hint audience', async () => {
    const { hint } = await setup()
    const other = await makeApplication({ postLogoutRedirectUris: [RETURN] })
    await expectInvalid(
      { id_token_hint: hint, client_id: other.clientId, post_logout_redirect_uri: RETURN },
      'client_id does not match',
    )
  })

  it('RP-Initiated Logout §3: refuses an unregistered post_logout_redirect_uri (no open redirect)', async () => {
    const { hint } = await setup()
    await expectInvalid({ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/' }, 'not registered')
    await expectInvalid({ id_token_hint: hint, post_logout_redirect_uri: `${RETURN}/` }, 'not registered')
  })

  it('refuses post_logout_redirect_uri without a hint or client_id', async () => {
    await expectInvalid({ post_logout_redirect_uri: RETURN }, 'needs id_token_hint or client_id')
  })

  it('refuses post_logout_redirect_uri for an unknown client_id', async () => {
    await expectInvalid({ client_id: 'nobody', post_logout_redirect_uri: RETURN }, 'not registered')
  })

  it('refuses a registered value that is not an absolute URI', async () => {
    const app = await makeApplication({ postLogoutRedirectUris: ['/relative'] })
    await expectInvalid({ client_id: app.clientId, post_logout_redirect_uri: '/relative' }, 'absolute URI')
  })
})

/** Cookie-clearing Set-Cookie of the session (Max-Age=0), or null when the session was left alone. */
function clearedSession(response: Response): boolean {
  const setCookie = response.headers.get('Set-Cookie') ?? ''
  return /eot_session=;/.test(setCookie) && /Max-Age=0/i.test(setCookie)
}

const logoutUrl = (params: Record<string, string>) => `/o/logout/?${new URLSearchParams(params)}`

describe('GET|POST /o/logout/', () => {
  it('RP-Initiated Logout §2/§3: a hint for the logged-in user ends the session and redirects with state', async () => {
    const { user, hint } = await setup()
    const cookie = await login(user)
    const response = await getPage(
      logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: RETURN, state: 's-1' }),
      cookie,
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe(`${RETURN}?state=s-1`)
    expect(clearedSession(response)).toBe(true)
  })

  it('RP-Initiated Logout §2: a cross-site POST from the relying party works (no origin check before confirmation)', async () => {
    const { user, hint } = await setup()
    const cookie = await login(user)
    const response = await postForm(
      '/o/logout/',
      { id_token_hint: hint, post_logout_redirect_uri: RETURN },
      { Cookie: cookie, Origin: 'https://rp.example' },
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe(RETURN)
    expect(clearedSession(response)).toBe(true)
  })

  it('RP-Initiated Logout §2: without a post_logout_redirect_uri the OP shows its logged-out page', async () => {
    const { user, hint } = await setup()
    const response = await getPage(logoutUrl({ id_token_hint: hint }), await login(user))
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('You are logged out')
    expect(clearedSession(response)).toBe(true)
  })

  it('without a session there is nothing to confirm: redirect (client_id alone identifies the client)', async () => {
    const { app } = await setup()
    const response = await getPage(logoutUrl({ client_id: app.clientId, post_logout_redirect_uri: RETURN }))
    expect(response.headers.get('Location')).toBe(RETURN)
  })

  it('RP-Initiated Logout §2: without an id_token_hint the logged-in user confirms first; a same-site confirmation logs out', async () => {
    const { user, app } = await setup()
    const cookie = await login(user)
    const params = { client_id: app.clientId, post_logout_redirect_uri: RETURN, state: 's-2' }
    const page = await getPage(logoutUrl(params), cookie)
    expect(page.status).toBe(200)
    expect(clearedSession(page)).toBe(false)
    const html = await page.text()
    expect(html).toContain('name="confirm"')
    expect(html).toContain(`value="${app.clientId}"`)
    const confirmed = await postForm('/o/logout/', { ...params, confirm: 'yes' }, { Cookie: cookie })
    expect(confirmed.status).toBe(302)
    expect(confirmed.headers.get('Location')).toBe(`${RETURN}?state=s-2`)
    expect(clearedSession(confirmed)).toBe(true)
  })

  it('RP-Initiated Logout §2: a hint for another user than the logged-in one asks for confirmation', async () => {
    const { hint } = await setup()
    const other = await makeUser()
    const page = await getPage(logoutUrl({ id_token_hint: hint }), await login(other))
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('name="confirm"')
    expect(clearedSession(page)).toBe(false)
  })

  it('a confirmation posted from another site is refused (CSRF): the session stays', async () => {
    const { user } = await setup()
    const response = await postForm(
      '/o/logout/',
      { confirm: 'yes' },
      { Cookie: await login(user), Origin: 'https://evil.example' },
    )
    expect(response.status).toBe(403)
    expect(clearedSession(response)).toBe(false)
  })

  const errorCases: [string, (s: Awaited<ReturnType<typeof setup>>) => Record<string, string>, string][] = [
    [
      'RP-Initiated Logout §3: an unregistered post_logout_redirect_uri',
      ({ hint }) => ({ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/' }),
      'not registered',
    ],
    [
      'RP-Initiated Logout §2: an id_token_hint not issued here',
      () => ({ id_token_hint: 'not-a-jwt' }),
      'id_token_hint',
    ],
    [
      'RP-Initiated Logout §3: post_logout_redirect_uri without id_token_hint or client_id',
      () => ({ post_logout_redirect_uri: RETURN }),
      'needs id_token_hint or client_id',
    ],
    [
      'RP-Initiated Logout §2: a client_id that is not the hint audience',
      ({ hint }) => ({ id_token_hint: hint, client_id: 'someone-else', post_logout_redirect_uri: RETURN }),
      'client_id does not match',
    ],
  ]
  for (const [name, params, message] of errorCases) {
    it(`${name} → an HTML error page, no redirect, the session stays`, async () => {
      const flow = await setup()
      const response = await getPage(logoutUrl(params(flow)), await login(flow.user))
      expect(response.status).toBe(400)
      expect(response.headers.get('Location')).toBeNull()
      expect(response.headers.get('Content-Type')).toContain('text/html')
      expect(clearedSession(response)).toBe(false)
      expect(await response.text()).toContain(message)
    })
  }

  it('a repeated parameter → an HTML error page, no redirect', async () => {
    const { app } = await setup()
    const response = await getPage(
      `/o/logout/?client_id=${app.clientId}&post_logout_redirect_uri=${encodeURIComponent(RETURN)}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F`,
    )
    expect(response.status).toBe(400)
    expect(response.headers.get('Location')).toBeNull()
    expect(await response.text()).toContain('Repeated parameter: post_logout_redirect_uri')
  })
})
