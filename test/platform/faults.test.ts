import { env } from 'cloudflare:test'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDrfRouter } from '../../src/http/drf.ts'
import { createOAuthRouter } from '../../src/http/oauth.ts'
import { KV_READ_TIMEOUT_MS } from '../../src/tokens/cache.ts'
import type { AppEnv } from '../../src/types.ts'
import { createHtmlRouter } from '../../src/web/kit/dialect.tsx'
import { form, inEveryTokenDatabase, login, makeApplication, makeUser, passwordToken } from '../helpers.ts'
import { faultyD1, faultyKV, faultyTokenDatabases, fetchWith } from './faults.ts'

afterEach(() => vi.restoreAllMocks())

function helloRequest(token: string) {
  return new Request('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}` } })
}

async function tokenRequest() {
  const user = await makeUser()
  const app = await makeApplication()
  const body = form({
    grant_type: 'password',
    username: user.username,
    password: user.plainPassword,
    client_id: app.clientId,
    client_secret: app.clientSecret ?? '',
  })
  return new Request('https://example.com/o/token/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  })
}

async function clearKV() {
  for (const key of (await env.TOKEN_CACHE.list()).keys) await env.TOKEN_CACHE.delete(key.name)
}

/** 503 with Retry-After, no stack trace, in the endpoint's dialect: OAuth's `error` unless DRF's `detail` is given. */
async function expectUnavailable(
  response: Response,
  body: Record<string, unknown> = { error: 'temporarily_unavailable' },
) {
  expect(response.status).toBe(503)
  expect(response.headers.get('Retry-After')).toMatch(/^\d+$/)
  expect(response.headers.get('Content-Type')).toMatch(/^application\/json/)
  const text = await response.text()
  expect(JSON.parse(text)).toEqual(body.error ? expect.objectContaining(body) : body)
  expect(text).not.toMatch(/at .*\.ts|D1_ERROR|stack/i)
}

const DRF_UNAVAILABLE = { detail: 'Service temporarily unavailable, try again later.' }

describe('D1 failing', () => {
  it('the token endpoint answers 503 temporarily_unavailable with Retry-After, no stack trace', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    await expectUnavailable(await fetchWith({ DB: faultyD1() }, await tokenRequest()))
  })

  it('a token whose insert fails is never issued, nor cached in KV', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    await clearKV()
    // In whichever token database the grant goes to (src/tokens/shards.ts).
    await expectUnavailable(
      await fetchWith(
        faultyTokenDatabases((sql) => /^insert/i.test(sql)),
        await tokenRequest(),
      ),
    )
    expect((await env.TOKEN_CACHE.list()).keys).toEqual([])
    const stored = await inEveryTokenDatabase<{ n: number }>('SELECT count(*) AS n FROM access_tokens')
    expect(stored.map((row) => row.n)).toEqual(stored.map(() => 0))
  })

  it('the API answers 503 on a cache miss when D1 is down, in its own dialect: DRF {"detail": …}, not OAuth\'s error', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { token } = await passwordToken()
    await clearKV()
    await expectUnavailable(await fetchWith({ DB: faultyD1() }, helloRequest(token)), DRF_UNAVAILABLE)
  })

  it('a dropped D1 connection (no D1_ prefix) is a storage fault too', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const db = faultyD1(() => true, 'Network connection lost.')
    await expectUnavailable(await fetchWith({ DB: db }, await tokenRequest()))
  })

  it('any other error is a 500 without a stack trace, in the dialect of the router that threw it, whatever its path', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const app = new Hono<AppEnv>()
    // Paths chosen against the grain: the router decides, not the /o/ prefix.
    const oauth = createOAuthRouter([])
    oauth.get('/api/boom', () => {
      throw new Error('secret internals at src/foo.ts:1')
    })
    const drf = createDrfRouter([])
    drf.get('/o/boom/', () => {
      throw new TypeError('x is undefined')
    })
    const html = createHtmlRouter([])
    // Thrown in middleware: a mounted router's onError covers its middleware too.
    html.use('/page/', () => {
      throw new RangeError('secret internals')
    })
    html.get('/page/', (c) => c.text('unreachable'))
    app.route('/', oauth).route('/', drf).route('/', html)
    const oauthAnswer = await app.request('/api/boom')
    expect(oauthAnswer.status).toBe(500)
    expect(oauthAnswer.headers.get('Cache-Control')).toBe('no-store')
    expect(await oauthAnswer.json()).toEqual({ error: 'server_error', error_description: 'Internal server error.' })
    const drfAnswer = await app.request('/o/boom/')
    expect(drfAnswer.status).toBe(500)
    expect(await drfAnswer.json()).toEqual({ detail: 'A server error occurred.' })
    const page = await app.request('/page/')
    expect(page.status).toBe(500)
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/)
    const text = await page.text()
    expect(text).toContain('server_error')
    expect(text).toContain('href="/accounts/login/"')
    expect(text).not.toMatch(/secret|RangeError|\.ts:\d/)
  })

  it("the management API (under /o/) answers a D1 outage in DRF's dialect, from its session middleware", async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const cookie = await login(await makeUser())
    const request = new Request('https://example.com/o/applications/', { headers: { Cookie: cookie } })
    await expectUnavailable(await fetchWith({ DB: faultyD1() }, request), DRF_UNAVAILABLE)
  })

  it('the login page answers a D1 outage with an HTML page, 503 and Retry-After', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const request = new Request('https://example.com/accounts/login/', {
      method: 'POST',
      headers: { Origin: 'https://example.com', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ username: 'someone', password: 'secret' }),
    })
    const response = await fetchWith({ DB: faultyD1() }, request)
    expect(response.status).toBe(503)
    expect(response.headers.get('Retry-After')).toMatch(/^\d+$/)
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
    // The page middleware ran around it: the error page is not frameable either.
    expect(response.headers.get('X-Frame-Options')).toBe('DENY')
    expect(await response.text()).toContain('temporarily_unavailable')
  })

  it('a token cached in KV still authenticates while D1 is down', async () => {
    const { token } = await passwordToken()
    expect((await fetchWith({ DB: faultyD1() }, helloRequest(token))).status).toBe(200)
  })
})

describe('KV failing', () => {
  for (const mode of ['throw', 'hang'] as const) {
    it(
      `a KV read that ${mode === 'throw' ? 'throws' : 'never answers'} falls back to D1 and logs it`,
      async () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
        const { token } = await passwordToken()
        const { kv, calls } = faultyKV(mode)
        const response = await fetchWith({ TOKEN_CACHE: kv }, helloRequest(token))
        expect(response.status).toBe(200)
        expect(await response.text()).toBe('Hello, OAuth2!')
        expect(calls.get).toBe(1)
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('token cache read failed'), expect.any(Error))
      },
      KV_READ_TIMEOUT_MS * 5,
    )
  }

  it('an unknown token is refused, and nothing D1 did not confirm is cached', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { token } = await passwordToken()
    await clearKV()
    const forged = `${token.slice(0, -10)}AAAA${token.slice(-6)}`
    const { kv, calls } = faultyKV('throw')
    expect((await fetchWith({ TOKEN_CACHE: kv }, helloRequest(forged))).status).toBe(401)
    expect(calls.put).toBe(0)
    expect((await env.TOKEN_CACHE.list()).keys).toEqual([])
  })

  it('a KV write failure does not fail the token endpoint', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const broken = new Proxy(env.TOKEN_CACHE, {
      get(target, property) {
        if (property === 'put') return () => Promise.reject(new Error('KV PUT failed: 503 injected'))
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const response = await fetchWith({ TOKEN_CACHE: broken }, await tokenRequest())
    expect(response.status).toBe(200)
    const { access_token } = await response.json<{ access_token: string }>()
    expect((await fetchWith({}, helloRequest(access_token))).status).toBe(200)
  })
})
