/**
 * RFC 8628, the device authorization grant: the device authorization endpoint (§3.1, §3.2),
 * the verification page /o/device/ (§3.3), polling the token endpoint (§3.4, §3.5) and the
 * security considerations (§5) that the implementation takes on.
 */
import { env, SELF } from 'cloudflare:test'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { applicationFromOptions } from '../../src/cli/commands/createapplication.ts'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { DEVICE_CODE_GRANT } from '../../src/db/schema.ts'
import { DEVICE_LIMIT_PERIOD_SECONDS } from '../../src/lib/rate-limit.ts'
import { MAX_POLL_INTERVAL_SECONDS, USER_CODE_ALPHABET } from '../../src/tokens/device-codes.ts'
import { d1QueryCount } from '../counting.ts'
import {
  api,
  basic,
  expectOAuthError,
  expectOneWinner,
  fetchWorker,
  form,
  getPage,
  hello,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  postForm,
  postToken,
  RACERS,
  tokenFormat,
} from '../helpers.ts'
import { fakeLimiter } from '../limiters.ts'

/** RFC 8628 §3.5: each slow_down adds 5 seconds to the polling interval. */
const SLOW_DOWN_STEP_SECONDS = 5

const SLOW = { timeout: 60_000 }
const USER_CODE = new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`)

type App = { id: number; clientId: string; clientSecret: string | null }
type DeviceAuthorization = {
  device_code: string
  user_code: string
  verification_uri: string
  verification_uri_complete: string
  expires_in: number
  interval: number
}

function deviceApp(overrides: Parameters<typeof makeApplication>[0] = {}) {
  return makeApplication({
    name: 'Living Room TV',
    clientType: 'public',
    grantTypes: [DEVICE_CODE_GRANT],
    ...overrides,
  })
}

function clientParams(app: App): Record<string, string> {
  return { client_id: app.clientId, ...(app.clientSecret ? { client_secret: app.clientSecret } : {}) }
}

function requestDeviceCode(body: string, headers: Record<string, string> = {}) {
  return SELF.fetch(`${ORIGIN}/o/device-authorization/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
}

async function startDevice(app: App, scope?: string): Promise<DeviceAuthorization> {
  const response = await requestDeviceCode(form({ ...clientParams(app), ...(scope ? { scope } : {}) }))
  expect(response.status).toBe(200)
  return response.json()
}

function poll(app: App, deviceCode: string) {
  return postToken(form({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, ...clientParams(app) }))
}

function enterCode(cookie: string, values: Record<string, string>, headers: Record<string, string> = {}) {
  return postForm('/o/device/', values, { Cookie: cookie, ...headers })
}

/** A device that started, and a logged-in user who answered it ('approve' or 'deny'). */
async function answered(decision: 'approve' | 'deny', options: { scope?: string; app?: App } = {}) {
  const app = options.app ?? (await deviceApp())
  const device = await startDevice(app, options.scope)
  const user = await makeUser()
  const cookie = await login(user)
  const response = await enterCode(cookie, { user_code: device.user_code, decision })
  expect(response.status).toBe(200)
  return { app, device, user, cookie, page: await response.text() }
}

function row(deviceCode: string) {
  return sha256Hex(deviceCode).then((digest) =>
    env.DB.prepare('SELECT * FROM device_codes WHERE device_code_hash = ?').bind(digest).first<{
      id: number
      status: string
      interval: number
      last_polled_at: number | null
      user_id: number | null
    }>(),
  )
}

function shiftDeviceCode(deviceCode: string, column: 'last_polled_at' | 'expires_at', seconds: number) {
  return sha256Hex(deviceCode).then((digest) =>
    env.DB.prepare(`UPDATE device_codes SET ${column} = ${column} - ? WHERE device_code_hash = ?`)
      .bind(seconds, digest)
      .run(),
  )
}

describe('RFC 8628 §3.1/§3.2: the device authorization endpoint', () => {
  it('§3.2: a public client (client_id only) gets a device code, a user code, the verification URIs, expires_in and interval', async () => {
    const app = await deviceApp()
    const response = await requestDeviceCode(form({ client_id: app.clientId, scope: 'read' }))
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<DeviceAuthorization>()
    expect(body).toEqual({
      device_code: expect.stringMatching(/^edc_[A-Za-z0-9]{61}$/),
      user_code: expect.stringMatching(USER_CODE),
      verification_uri: `${ORIGIN}/o/device/`,
      verification_uri_complete: `${ORIGIN}/o/device/?user_code=${body.user_code}`,
      expires_in: 600,
      interval: 5,
    })
  })

  it('§3.1: a confidential client authenticates as at the token endpoint (Basic or post); a wrong secret is invalid_client with a challenge', async () => {
    const app = await deviceApp({ clientType: 'confidential' })
    const secret = app.clientSecret ?? ''
    expect((await requestDeviceCode('', { Authorization: basic(app.clientId, secret) })).status).toBe(200)
    expect((await requestDeviceCode(form({ client_id: app.clientId, client_secret: secret }))).status).toBe(200)
    const wrong = await requestDeviceCode('', { Authorization: basic(app.clientId, `${secret}x`) })
    await expectOAuthError(wrong, 401, 'invalid_client')
    expect(wrong.headers.get('WWW-Authenticate')).toBe('Basic realm="oauth"')
    // Without its secret a confidential client proves nothing.
    await expectOAuthError(await requestDeviceCode(form({ client_id: app.clientId })), 401, 'invalid_client')
    await expectOAuthError(await requestDeviceCode(form({ client_id: 'nobody' })), 401, 'invalid_client')
    await expectOAuthError(await requestDeviceCode(''), 401, 'invalid_client')
  })

  it('§3.1: a client not registered for the device grant is unauthorized_client, and nothing is stored', async () => {
    const app = await makeApplication({
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://a.example/cb'],
    })
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM device_codes WHERE application_id = ?')
      .bind(app.id)
      .first<{ n: number }>()
    await expectOAuthError(await requestDeviceCode(form({ client_id: app.clientId })), 400, 'unauthorized_client')
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM device_codes WHERE application_id = ?')
      .bind(app.id)
      .first<{ n: number }>()
    expect(after?.n).toBe(before?.n)
  })

  it('§3.1: scope is checked as at the token endpoint: unknown scopes are invalid_scope, none means the default', async () => {
    const app = await deviceApp()
    await expectOAuthError(
      await requestDeviceCode(form({ client_id: app.clientId, scope: 'read nuclear' })),
      400,
      'invalid_scope',
    )
    await expectOAuthError(
      await requestDeviceCode(form({ client_id: app.clientId, scope: 'introspection' })),
      400,
      'invalid_scope',
    )
    const { device, cookie } = await answered('approve', { app })
    // The default scopes (DEFAULT_SCOPES) were requested; the page named them before the approval.
    const tokens = await (await poll(app, device.device_code)).json<{ scope: string }>()
    expect(tokens.scope).toBe('read write groups')
    expect(cookie).not.toBe('')
  })

  it('§3.1: the request is a form-urlencoded POST; other bodies and methods are refused in the OAuth dialect', async () => {
    const app = await deviceApp()
    const json = await SELF.fetch(`${ORIGIN}/o/device-authorization/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: app.clientId }),
    })
    await expectOAuthError(json, 400, 'invalid_request')
    const get = await SELF.fetch(`${ORIGIN}/o/device-authorization/`)
    expect(get.status).toBe(405)
    expect(get.headers.get('Allow')).toBe('POST')
    expect((await get.json<{ error: string }>()).error).toBe('invalid_request')
  })

  it('§3.2/§5.2: neither code is stored in plaintext; only digests are', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const stored = await row(device.device_code)
    expect(stored).not.toBeNull()
    const text = JSON.stringify(stored)
    expect(text).not.toContain(device.device_code)
    expect(text).not.toContain(device.user_code)
    expect(text).not.toContain(device.user_code.replace('-', ''))
  })
})

describe('RFC 8628 §3.3: the verification page /o/device/', () => {
  it('§3.3: a logged-out visitor is sent to the login page, which brings them back with the code', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const response = await getPage(`/o/device/?user_code=${device.user_code}`)
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('Location') ?? '', ORIGIN)
    expect(location.pathname).toBe('/accounts/login/')
    expect(location.searchParams.get('next')).toBe(`/o/device/?user_code=${device.user_code}`)
    // Something that cannot be a user code is not carried into the login redirect.
    const odd = await getPage('/o/device/?user_code=%2F%2Fevil.example')
    expect(new URL(odd.headers.get('Location') ?? '', ORIGIN).searchParams.get('next')).toBe('/o/device/')
    // A form post without a session is not acted on either.
    const post = await postForm('/o/device/', { user_code: device.user_code, decision: 'approve' })
    expect(post.status).toBe(303)
    expect(new URL(post.headers.get('Location') ?? '', ORIGIN).pathname).toBe('/accounts/login/')
    expect((await row(device.device_code))?.status).toBe('pending')
  })

  it('§3.3.1: verification_uri_complete prefills the code, and nothing is approved without the explicit click', async () => {
    const app = await deviceApp()
    const device = await startDevice(app, 'read')
    const cookie = await login(await makeUser())
    const page = await getPage(
      new URL(device.verification_uri_complete).pathname + new URL(device.verification_uri_complete).search,
      cookie,
    )
    expect(page.status).toBe(200)
    expect(page.headers.get('Cache-Control')).toBe('no-store')
    expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    expect(await page.text()).toContain(`value="${device.user_code}"`)
    // "Continue" shows the request; only Approve answers it.
    const confirm = await enterCode(cookie, { user_code: device.user_code })
    expect(confirm.status).toBe(200)
    expect((await row(device.device_code))?.status).toBe('pending')
    await expectOAuthError(await poll(app, device.device_code), 400, 'authorization_pending')
  })

  it('§3.3 / §5.4: the confirmation names the client, the code and each scope with its description; the code is case, dash and space insensitive', async () => {
    const app = await deviceApp()
    const device = await startDevice(app, 'read write')
    const cookie = await login(await makeUser())
    const typed = ` ${device.user_code.toLowerCase().replace('-', ' ')} `
    const response = await enterCode(cookie, { user_code: typed })
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).toContain('Living Room TV')
    expect(text).toContain(device.user_code)
    expect(text).toContain('Read scope')
    expect(text).toContain('Write scope')
    expect(text).toContain('value="approve"')
    expect(text).toContain('value="deny"')
  })

  it('§3.3: a wrong code is refused on the page (400) and approves nothing', async () => {
    const cookie = await login(await makeUser())
    for (const typed of ['BCDF-GHJK', 'AAAA-AAAA', '', 'x'.repeat(500)]) {
      const response = await enterCode(cookie, { user_code: typed, decision: 'approve' })
      expect(response.status).toBe(400)
      expect(await response.text()).toContain('That code is not valid')
    }
  })

  it('§3.3: an expired code is refused on the page and cannot be approved', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    await shiftDeviceCode(device.device_code, 'expires_at', 601)
    const cookie = await login(await makeUser())
    const response = await enterCode(cookie, { user_code: device.user_code, decision: 'approve' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('That code has expired')
    expect((await row(device.device_code))?.status).toBe('pending')
  })

  it('§3.3: a code already answered cannot be answered again (by anyone)', async () => {
    const { device } = await answered('deny')
    const other = await login(await makeUser())
    const response = await enterCode(other, { user_code: device.user_code, decision: 'approve' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('already been used')
    expect((await row(device.device_code))?.status).toBe('denied')
  })

  it('an unknown decision value is refused, not read as either answer', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const cookie = await login(await makeUser())
    const response = await enterCode(cookie, { user_code: device.user_code, decision: 'Approve!' })
    expect(response.status).toBe(400)
    expect((await row(device.device_code))?.status).toBe('pending')
  })

  it('CSRF: a cross-origin (or origin-less) form post is refused with an HTML 403 and approves nothing', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const cookie = await login(await makeUser())
    const crossSite = await enterCode(
      cookie,
      { user_code: device.user_code, decision: 'approve' },
      { Origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(await crossSite.text()).toContain('csrf_failed')
    const sameSiteFetchHeader = await SELF.fetch(`${ORIGIN}/o/device/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' },
      body: form({ user_code: device.user_code, decision: 'approve' }),
    })
    expect(sameSiteFetchHeader.status).toBe(403)
    expect((await row(device.device_code))?.status).toBe('pending')
  })

  it('other methods are answered in the HTML dialect with Allow', async () => {
    const response = await SELF.fetch(`${ORIGIN}/o/device/`, { method: 'PUT', headers: { Origin: ORIGIN } })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('GET, HEAD, POST')
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
  })

  it(
    '§5.1: entries are rate-limited per user: past 10 a minute, 429 with Retry-After, even for a valid code',
    SLOW,
    async () => {
      const app = await deviceApp()
      const device = await startDevice(app)
      const cookie = await login(await makeUser())
      for (let i = 0; i < 10; i++) expect((await enterCode(cookie, { user_code: 'BCDF-GHJK' })).status).toBe(400)
      const limited = await enterCode(cookie, { user_code: device.user_code, decision: 'approve' })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('Retry-After')).toBe(String(DEVICE_LIMIT_PERIOD_SECONDS))
      expect(await limited.text()).toContain('Too many attempts')
      expect((await row(device.device_code))?.status).toBe('pending')
      // Another user is not affected.
      const other = await login(await makeUser())
      expect((await enterCode(other, { user_code: device.user_code })).status).toBe(200)
    },
  )

  it('§5.1: entries are rate-limited per client address, across users: past 30 a minute, 429', SLOW, async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const ip = { 'CF-Connecting-IP': '198.51.100.23' }
    const cookies = [await login(await makeUser()), await login(await makeUser()), await login(await makeUser())]
    const fresh = await login(await makeUser())
    for (const cookie of cookies) {
      for (let i = 0; i < 10; i++) expect((await enterCode(cookie, { user_code: 'BCDF-GHJK' }, ip)).status).toBe(400)
    }
    expect((await enterCode(fresh, { user_code: device.user_code }, ip)).status).toBe(429)
    expect(
      (await enterCode(fresh, { user_code: device.user_code }, { 'CF-Connecting-IP': '198.51.100.24' })).status,
    ).toBe(200)
  })
})

describe('RFC 8628: the device authorization endpoint (a row a request) is limited per client and per address', () => {
  /** POST /o/device-authorization/ with the limiters replaced (no wall-clock window to wait for). */
  function startLimited(app: App, bindings: Partial<Env>, headers: Record<string, string> = {}) {
    return fetchWorker(
      new Request(`${ORIGIN}/o/device-authorization/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: form(clientParams(app)),
      }),
      { ...env, ...bindings } as Env,
    )
  }

  async function storedCodes(app: App): Promise<number> {
    const counted = await env.DB.prepare('SELECT count(*) AS n FROM device_codes WHERE application_id = ?')
      .bind(app.id)
      .first<{ n: number }>()
    return counted?.n ?? 0
  }

  it('past the per-client budget: 429 slow_down with Retry-After, and no row is stored', async () => {
    const app = await deviceApp()
    const perClient = fakeLimiter(3)
    for (let i = 0; i < 3; i++) {
      expect((await startLimited(app, { DEVICE_AUTHORIZATION_CLIENT_LIMITER: perClient })).status).toBe(200)
    }
    const limited = await startLimited(app, { DEVICE_AUTHORIZATION_CLIENT_LIMITER: perClient })
    await expectOAuthError(limited, 429, 'slow_down')
    expect(limited.headers.get('Retry-After')).toBe(String(DEVICE_LIMIT_PERIOD_SECONDS))
    expect(await storedCodes(app)).toBe(3)
    expect(new Set(perClient.keys)).toEqual(new Set([`client:${app.id}`]))
    // Another client has its own budget.
    const other = await deviceApp()
    expect((await startLimited(other, { DEVICE_AUTHORIZATION_CLIENT_LIMITER: perClient })).status).toBe(200)
  })

  it('past the per-address budget: 429 for every client from that address; other addresses go on', async () => {
    const perAddress = fakeLimiter(2)
    const ip = { 'CF-Connecting-IP': '198.51.100.77' }
    const [first, second] = [await deviceApp(), await deviceApp()]
    expect((await startLimited(first, { DEVICE_AUTHORIZATION_IP_LIMITER: perAddress }, ip)).status).toBe(200)
    expect((await startLimited(second, { DEVICE_AUTHORIZATION_IP_LIMITER: perAddress }, ip)).status).toBe(200)
    await expectOAuthError(
      await startLimited(first, { DEVICE_AUTHORIZATION_IP_LIMITER: perAddress }, ip),
      429,
      'slow_down',
    )
    expect(await storedCodes(second)).toBe(1)
    const elsewhere = { 'CF-Connecting-IP': '198.51.100.78' }
    expect((await startLimited(second, { DEVICE_AUTHORIZATION_IP_LIMITER: perAddress }, elsewhere)).status).toBe(200)
  })

  it('the limits are the Workers rate-limit bindings of wrangler.toml', () => {
    expect(typeof env.DEVICE_AUTHORIZATION_CLIENT_LIMITER.limit).toBe('function')
    expect(typeof env.DEVICE_AUTHORIZATION_IP_LIMITER.limit).toBe('function')
  })
})

describe('RFC 8628 §3.4/§3.5: polling the token endpoint', () => {
  it('§3.5: authorization_pending while the user has not answered', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const body = await expectOAuthError(await poll(app, device.device_code), 400, 'authorization_pending')
    expect(body.error_description).toBeTruthy()
  })

  it('§3.5: slow_down when polling faster than the interval, which grows by 5 seconds for this and every later poll', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    await expectOAuthError(await poll(app, device.device_code), 400, 'authorization_pending')
    await expectOAuthError(await poll(app, device.device_code), 400, 'slow_down')
    expect((await row(device.device_code))?.interval).toBe(5 + SLOW_DOWN_STEP_SECONDS)
    await expectOAuthError(await poll(app, device.device_code), 400, 'slow_down')
    expect((await row(device.device_code))?.interval).toBe(5 + 2 * SLOW_DOWN_STEP_SECONDS)
    // Waiting the original 5 seconds is no longer enough...
    await shiftDeviceCode(device.device_code, 'last_polled_at', 5)
    await expectOAuthError(await poll(app, device.device_code), 400, 'slow_down')
    // ...the grown interval is.
    await shiftDeviceCode(device.device_code, 'last_polled_at', 5 + 3 * SLOW_DOWN_STEP_SECONDS)
    await expectOAuthError(await poll(app, device.device_code), 400, 'authorization_pending')
  })

  it('§3.5: the interval grows to at most MAX_POLL_INTERVAL_SECONDS however fast the device polls', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    await expectOAuthError(await poll(app, device.device_code), 400, 'authorization_pending')
    for (let i = 0; i < 20; i++) await expectOAuthError(await poll(app, device.device_code), 400, 'slow_down')
    expect((await row(device.device_code))?.interval).toBe(MAX_POLL_INTERVAL_SECONDS)
    // A poll the capped interval after the last accepted one is in time again.
    await shiftDeviceCode(device.device_code, 'last_polled_at', MAX_POLL_INTERVAL_SECONDS)
    await expectOAuthError(await poll(app, device.device_code), 400, 'authorization_pending')
  })

  it('§3.5: a too-fast poll costs at most one write (none once the interval is capped), never more than an in-time one', async () => {
    const app = await deviceApp()
    const device = await startDevice(app)
    const statements = async () => {
      const before = d1QueryCount()
      await poll(app, device.device_code)
      return d1QueryCount() - before
    }
    const inTime = await statements()
    const tooFast = await statements()
    expect(tooFast).toBe(inTime)
    await env.DB.prepare('UPDATE device_codes SET interval = ? WHERE device_code_hash = ?')
      .bind(MAX_POLL_INTERVAL_SECONDS, await sha256Hex(device.device_code))
      .run()
    expect(await statements()).toBe(inTime - 1)
  })

  it('§3.5: access_denied once the user denied, and the page says so', async () => {
    const { app, device, page } = await answered('deny')
    expect(page).toContain('Request denied')
    await expectOAuthError(await poll(app, device.device_code), 400, 'access_denied')
    await expectOAuthError(await poll(app, device.device_code), 400, 'access_denied')
  })

  it('§3.5: expired_token once the device code expired, approved or not', async () => {
    const app = await deviceApp()
    const pending = await startDevice(app)
    await shiftDeviceCode(pending.device_code, 'expires_at', 601)
    await expectOAuthError(await poll(app, pending.device_code), 400, 'expired_token')
    const { device } = await answered('approve', { app })
    await shiftDeviceCode(device.device_code, 'expires_at', 601)
    await expectOAuthError(await poll(app, device.device_code), 400, 'expired_token')
  })

  it("§3.4: another client's device code is invalid_grant, and it stays redeemable by its own client", async () => {
    const { app, device } = await answered('approve')
    const thief = await deviceApp()
    await expectOAuthError(await poll(thief, device.device_code), 400, 'invalid_grant')
    expect((await poll(app, device.device_code)).status).toBe(200)
  })

  it('§3.4: a missing, unknown or forged device code is refused; a forged one before any D1 query', async () => {
    const app = await deviceApp()
    await expectOAuthError(
      await postToken(form({ grant_type: DEVICE_CODE_GRANT, client_id: app.clientId })),
      400,
      'invalid_request',
    )
    const unknown = await tokenFormat.mint('deviceCode')
    await expectOAuthError(await poll(app, unknown), 400, 'invalid_grant')
    const device = await startDevice(app)
    const forged = `${device.device_code.slice(0, 20)}${device.device_code.slice(20).split('').reverse().join('')}`
    const before = d1QueryCount()
    await expectOAuthError(await poll(app, forged), 400, 'invalid_grant')
    // The client lookup is the only query: the forged code itself costs none.
    expect(d1QueryCount() - before).toBe(1)
  })

  it('§3.4: a client not registered for the device grant is unauthorized_client at the token endpoint', async () => {
    const { device } = await answered('approve')
    const other = await makeApplication({
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://a.example/cb'],
    })
    await expectOAuthError(await poll(other, device.device_code), 400, 'unauthorized_client')
  })

  it('§3.5: once approved, one token response (access and refresh token); the token works, refreshes, and the code is spent', async () => {
    const { app, device, user, page } = await answered('approve', { scope: 'read write' })
    expect(page).toContain('Device connected')
    const response = await poll(app, device.device_code)
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const tokens = await response.json<{
      access_token: string
      refresh_token: string
      scope: string
      token_type: string
    }>()
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read write', expires_in: 86400 })
    expect(tokens.refresh_token).toMatch(/^ert_/)
    expect(await (await hello(tokens.access_token)).text()).toBe('Hello, OAuth2!')
    // The approving user is the token's user.
    const owner = await env.DB.prepare('SELECT user_id FROM access_tokens WHERE token_hash = unhex(?)')
      .bind(await sha256Hex(tokens.access_token))
      .first<{ user_id: number }>()
    expect(owner?.user_id).toBe(user.id)
    // A spent device code is invalid_grant (RFC 6749 §5.2), and does not undo what it gave.
    await expectOAuthError(await poll(app, device.device_code), 400, 'invalid_grant')
    expect((await hello(tokens.access_token)).status).toBe(200)
    // A public client refreshes with its client_id alone.
    const refreshed = await postToken(
      form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.clientId }),
    )
    expect(refreshed.status).toBe(200)
    expect((await refreshed.json<{ scope: string }>()).scope).toBe('read write')
  })

  it(
    '§3.5: of 50 concurrent polls of an approved code exactly one gets tokens, the others invalid_grant',
    SLOW,
    async () => {
      const { app, device } = await answered('approve')
      const responses = await Promise.all(Array.from({ length: RACERS }, () => poll(app, device.device_code)))
      const winner = await expectOneWinner(responses)
      expect((await hello(winner.access_token)).status).toBe(200)
      const issued = await env.DB.prepare('SELECT COUNT(*) AS n FROM access_tokens WHERE application_id = ?')
        .bind(app.id)
        .first<{ n: number }>()
      expect(issued?.n).toBe(1)
      expect((await row(device.device_code))?.status).toBe('redeemed')
    },
  )

  it('a code approved by a user deactivated since issues nothing', async () => {
    const { app, device, user } = await answered('approve')
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.id).run()
    await expectOAuthError(await poll(app, device.device_code), 400, 'invalid_grant')
  })

  it('with openid granted, an id_token for the approving user, auth_time from their login', async () => {
    const { app, device, user } = await answered('approve', { scope: 'openid read' })
    const tokens = await (await poll(app, device.device_code)).json<{ id_token: string }>()
    const claims = decodeJwt(tokens.id_token)
    expect(claims).toMatchObject({ iss: ORIGIN, aud: app.clientId, sub: String(user.id) })
    expect(claims.auth_time).toBeTypeOf('number')
    expect(claims.nonce).toBeUndefined()
  })
})

describe('RFC 8628 §4 and §5: metadata and security considerations', () => {
  it('§4: RFC 8414 metadata and OIDC discovery advertise the endpoint and the grant type', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await SELF.fetch(`${ORIGIN}${path}`)).json<Record<string, unknown>>()
      expect(metadata.device_authorization_endpoint).toBe(`${ORIGIN}/o/device-authorization/`)
      expect(metadata.grant_types_supported).toContain(DEVICE_CODE_GRANT)
    }
  })

  it('§5.1/§6.1: user codes are 8 characters of a 20-consonant alphabet (no vowels, no look-alikes), shown as XXXX-XXXX, each different', async () => {
    expect(USER_CODE_ALPHABET).toHaveLength(20)
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY01]/)
    const app = await deviceApp()
    const codes = new Set<string>()
    for (let i = 0; i < 20; i++) codes.add((await startDevice(app)).user_code)
    expect(codes.size).toBe(20)
    for (const code of codes) expect(code).toMatch(USER_CODE)
  })

  it('§5.2: device codes carry 256 random bits and the server MAC, so a guessed one never reaches storage', async () => {
    const app = await deviceApp()
    const a = await startDevice(app)
    const b = await startDevice(app)
    expect(a.device_code).not.toBe(b.device_code)
    expect(await tokenFormat.isWellFormed(a.device_code, 'deviceCode')).toBe(true)
    // A device code is no other kind of token.
    expect(await tokenFormat.isWellFormed(a.device_code, 'access')).toBe(false)
  })

  it('applications may be registered for the device grant through the management API (DOT 3.x grant name)', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const response = await api('/o/applications/', {
      cookie,
      json: { name: 'TV', client_type: 'public', authorization_grant_type: [DEVICE_CODE_GRANT] },
    })
    expect(response.status).toBe(201)
    const created = await response.json<{ client_id: string; authorization_grant_type: string[] }>()
    expect(created.authorization_grant_type).toEqual([DEVICE_CODE_GRANT])
    expect((await requestDeviceCode(form({ client_id: created.client_id }))).status).toBe(200)
  })

  it('manage createapplication accepts the device grant by the same name', () => {
    const options = applicationFromOptions({
      name: 'TV',
      'client-type': 'public',
      'grant-type': [DEVICE_CODE_GRANT],
    })
    expect(options.grantTypes).toEqual([DEVICE_CODE_GRANT])
    expect(() =>
      applicationFromOptions({ name: 'TV', 'client-type': 'public', 'grant-type': ['device_code'] }),
    ).toThrow(/--grant-type must be one of: .*urn:ietf:params:oauth:grant-type:device_code/)
  })
})
