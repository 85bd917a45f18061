import { env, SELF } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { ipKey, LOGIN_LIMIT_PERIOD_SECONDS, loginGate } from '../../src/lib/rate-limit.ts'
import { form, makeApplication, makeUser, postForm, postToken, unique } from '../helpers.ts'
import { miniflareLimiter, WindowLimiter } from '../rate-limits.ts'

const SLOW = { timeout: 60_000 }

async function attempt(
  app: { clientId: string; clientSecret: string | null },
  username: string,
  password: string,
  ip?: string,
) {
  return postToken(
    form({
      grant_type: 'password',
      username,
      password,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }),
    ip ? { 'CF-Connecting-IP': ip } : {},
  )
}

async function expectSlowDown(response: Response) {
  expect(response.status).toBe(429)
  expect(response.headers.get('Retry-After')).toBe(String(LOGIN_LIMIT_PERIOD_SECONDS))
  expect(response.headers.get('Cache-Control')).toBe('no-store')
  expect(await response.json()).toEqual({ error: 'slow_down', error_description: expect.any(String) })
}

describe('brute-force limits on the password grant (Workers Rate Limiting binding)', () => {
  it(
    'per username: past 10 failures in a minute, the failing client is refused with 429, even with the right password',
    SLOW,
    async () => {
      const user = await makeUser()
      const app = await makeApplication()
      for (let i = 0; i < 11; i++) expect((await attempt(app, user.username, 'wrong')).status).toBe(400)
      await expectSlowDown(await attempt(app, user.username, user.plainPassword))
      // Another username is not affected.
      const other = await makeUser()
      expect((await attempt(app, other.username, other.plainPassword)).status).toBe(200)
    },
  )

  it('per client IP: over 50 attempts a minute from one address are refused, across usernames', SLOW, async () => {
    const app = await makeApplication()
    const ip = '203.0.113.7'
    for (let i = 0; i < 50; i++) expect((await attempt(app, unique('nobody'), 'guess', ip)).status).toBe(400)
    await expectSlowDown(await attempt(app, unique('nobody'), 'guess', ip))
    const user = await makeUser()
    expect((await attempt(app, user.username, user.plainPassword, '203.0.113.8')).status).toBe(200)
  })

  it('IPv6 addresses are counted by their /64, IPv4 addresses one by one', () => {
    expect(ipKey('2001:db8:1:2:aaaa::1')).toBe('ip6:2001:db8:1:2::/64')
    expect(ipKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('ip6:2001:db8:1:2::/64')
    expect(ipKey('2001:db8::1')).toBe('ip6:2001:db8:0:0::/64')
    expect(ipKey('::1')).toBe('ip6:0:0:0:0::/64')
    expect(ipKey('203.0.113.7')).toBe('ip:203.0.113.7')
  })

  it('a failing limiter or KV lets the attempt through and logs it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const broken = { limit: () => Promise.reject(new Error('limiter down')) }
    const down = () => Promise.reject(new Error('KV down'))
    const kv = { get: down, put: down } as unknown as KVNamespace
    const gate = loginGate({ LOGIN_FAILURE_LIMITER: broken, LOGIN_IP_LIMITER: broken, TOKEN_CACHE: kv }, '198.51.100.1')
    const admission = await gate('someone')
    expect(admission.admitted).toBe(true)
    if (admission.admitted) await admission.failed()
    expect(warn).toHaveBeenCalledTimes(3)
    warn.mockRestore()
  })

  it('the reusable gate counts failures per username for other login endpoints', SLOW, async () => {
    const username = unique('reuse')
    const gate = loginGate(env, undefined)
    for (let i = 0; i < 11; i++) {
      const admission = await gate(username)
      if (!admission.admitted) throw new Error(`refused after ${i} failures`)
      await admission.failed()
    }
    expect(await gate(username)).toEqual({ admitted: false, retryAfter: LOGIN_LIMIT_PERIOD_SECONDS })
  })

  it('/api-token-auth/ shares the per-username limit: past 10 failures, DRF Throttled (429)', SLOW, async () => {
    const user = await makeUser()
    const obtain = (password: string) =>
      SELF.fetch('https://example.com/api-token-auth/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ username: user.username, password }),
      })
    for (let i = 0; i < 11; i++) expect((await obtain('wrong')).status).toBe(400)
    const refused = await obtain(user.plainPassword)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toBe(String(LOGIN_LIMIT_PERIOD_SECONDS))
    expect(await refused.json()).toEqual({ detail: expect.stringMatching(/^Request was throttled/) })
  })

  it(
    '/accounts/login/ shares the per-username limit: past 10 failures, a 429 HTML page, even with the right password',
    SLOW,
    async () => {
      const user = await makeUser()
      const logIn = (password: string, headers: Record<string, string> = {}) =>
        postForm('/accounts/login/', { username: user.username, password }, headers)
      for (let i = 0; i < 11; i++) expect((await logIn('wrong')).status).toBe(400)
      const refused = await logIn(user.plainPassword)
      expect(refused.status).toBe(429)
      expect(refused.headers.get('Retry-After')).toBe(String(LOGIN_LIMIT_PERIOD_SECONDS))
      expect(refused.headers.get('Cache-Control')).toBe('no-store')
      expect(refused.headers.get('Content-Type')).toMatch(/^text\/html/)
      expect(refused.headers.get('Set-Cookie')).toBeNull()
      expect(await refused.text()).toContain('Too many login attempts')
      // The password grant counts against the same budget.
      const app = await makeApplication()
      await expectSlowDown(await attempt(app, user.username, user.plainPassword))
    },
  )

  it('/accounts/login/ is limited per client IP across usernames', SLOW, async () => {
    const ip = '203.0.113.9'
    for (let i = 0; i < 50; i++) {
      const response = await postForm(
        '/accounts/login/',
        { username: unique('nobody'), password: 'guess' },
        {
          'CF-Connecting-IP': ip,
        },
      )
      expect(response.status).toBe(400)
    }
    const user = await makeUser()
    const creds = { username: user.username, password: user.plainPassword }
    const refused = await postForm('/accounts/login/', creds, { 'CF-Connecting-IP': ip })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toBe(String(LOGIN_LIMIT_PERIOD_SECONDS))
    expect((await postForm('/accounts/login/', creds, { 'CF-Connecting-IP': '203.0.113.10' })).status).toBe(302)
  })
})

describe('the rate limiting bindings the tests use (test/rate-limits.ts)', () => {
  it('stand in for every [[ratelimits]] binding of wrangler.toml, with its limit and period', () => {
    expect(env.TEST_RATE_LIMITS.map(({ name }) => name)).toContain('LOGIN_FAILURE_LIMITER')
    for (const settings of env.TEST_RATE_LIMITS) {
      const binding: unknown = env[settings.name as keyof Env]
      expect(binding).toBeInstanceOf(WindowLimiter)
      expect((binding as WindowLimiter).settings).toEqual(settings)
    }
  })

  it("count as miniflare's bindings do: `limit` successes per key in a window, then refused", async () => {
    for (const settings of env.TEST_RATE_LIMITS) {
      const windowOf = () => Math.floor(Date.now() / (settings.period * 1000))
      const expected = [...Array(settings.limit).fill(true), false, false]
      const count = async (binding: RateLimit, key: string) => {
        const outcomes: boolean[] = []
        for (const _ of expected) outcomes.push((await binding.limit({ key })).success)
        return outcomes
      }
      expect(await count(new WindowLimiter(settings), 'k')).toEqual(expected)
      // Miniflare's windows follow the wall clock: one that ends while counting is counted again.
      let outcomes: boolean[] = []
      for (let attempt = 0; attempt < 3; attempt++) {
        const window = windowOf()
        outcomes = await count(miniflareLimiter(settings.name), unique('contract'))
        if (windowOf() === window) break
      }
      expect(outcomes, settings.name).toEqual(expected)
      // Another key has a budget of its own.
      expect((await miniflareLimiter(settings.name).limit({ key: unique('other') })).success).toBe(true)
    }
  })
})
