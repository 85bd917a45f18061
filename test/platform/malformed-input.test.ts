import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../src/lib/body-limit.ts'
import { form, login, makeApplication, makeUser, postToken, REDIRECT_URI } from '../helpers.ts'

/**
 * Generated malformed requests against every endpoint: none may answer 5xx or show a stack
 * trace, and every error must be in the endpoint's own dialect: OAuth JSON with `error` on the
 * authorization server's endpoints, DRF's `detail` or field errors on /api/* and the management
 * API, an HTML error page on the browser pages; a 401 in either JSON dialect carries a challenge.
 * A new endpoint is one line in ENDPOINTS; `{id}` in a path is replaced by a real or a malformed id.
 */
type Dialect = 'oauth' | 'drf' | 'html'
type Endpoint = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  path: string
  body: 'form' | 'authorize' | 'login' | 'json' | 'none'
  dialect: Dialect
}

const ENDPOINTS: Endpoint[] = [
  { method: 'POST', path: '/o/token/', body: 'form', dialect: 'oauth' },
  { method: 'GET', path: '/o/authorize/', body: 'none', dialect: 'html' },
  { method: 'POST', path: '/o/authorize/', body: 'authorize', dialect: 'html' },
  { method: 'POST', path: '/o/revoke-token/', body: 'form', dialect: 'oauth' },
  { method: 'POST', path: '/o/revoke_token/', body: 'form', dialect: 'oauth' },
  { method: 'POST', path: '/o/introspect/', body: 'form', dialect: 'oauth' },
  { method: 'GET', path: '/o/introspect/', body: 'none', dialect: 'oauth' },
  { method: 'GET', path: '/.well-known/oauth-authorization-server', body: 'none', dialect: 'oauth' },
  { method: 'GET', path: '/.well-known/openid-configuration', body: 'none', dialect: 'oauth' },
  { method: 'GET', path: '/o/.well-known/jwks.json', body: 'none', dialect: 'oauth' },
  { method: 'GET', path: '/accounts/login/', body: 'none', dialect: 'html' },
  { method: 'POST', path: '/accounts/login/', body: 'login', dialect: 'html' },
  { method: 'GET', path: '/accounts/logout/', body: 'none', dialect: 'html' },
  { method: 'POST', path: '/accounts/logout/', body: 'none', dialect: 'html' },
  { method: 'GET', path: '/o/logout/', body: 'none', dialect: 'html' },
  { method: 'POST', path: '/o/logout/', body: 'form', dialect: 'html' },
  { method: 'GET', path: '/o/applications/', body: 'none', dialect: 'drf' },
  { method: 'POST', path: '/o/applications/', body: 'json', dialect: 'drf' },
  { method: 'GET', path: '/o/applications/{id}/', body: 'none', dialect: 'drf' },
  { method: 'PATCH', path: '/o/applications/{id}/', body: 'json', dialect: 'drf' },
  { method: 'POST', path: '/o/applications/{id}/rotate-secret/', body: 'none', dialect: 'drf' },
  { method: 'GET', path: '/o/authorized-tokens/', body: 'none', dialect: 'drf' },
  { method: 'GET', path: '/api/hello', body: 'none', dialect: 'drf' },
  { method: 'POST', path: '/api/hello', body: 'none', dialect: 'drf' },
  { method: 'GET', path: '/o/token/', body: 'none', dialect: 'oauth' },
  { method: 'GET', path: '/o/no-such-endpoint/', body: 'none', dialect: 'oauth' },
  { method: 'GET', path: '/api/no-such-endpoint', body: 'none', dialect: 'drf' },
  { method: 'GET', path: '/api/users/', body: 'none', dialect: 'drf' },
  { method: 'POST', path: '/api/users/', body: 'form', dialect: 'drf' },
  { method: 'POST', path: '/api-token-auth/', body: 'form', dialect: 'drf' },
  { method: 'POST', path: '/api/build-trigger/', body: 'none', dialect: 'drf' },
  { method: 'GET', path: '/o/userinfo/', body: 'none', dialect: 'oauth' },
  { method: 'POST', path: '/o/userinfo/', body: 'form', dialect: 'oauth' },
  // Last: these delete what the endpoints above use.
  { method: 'DELETE', path: '/o/authorized-tokens/{id}/', body: 'none', dialect: 'drf' },
  { method: 'DELETE', path: '/o/applications/{id}/', body: 'none', dialect: 'drf' },
]

// Deterministic, so a failure reproduces.
let seed = 0x6d2b79f5
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
const bytes = (length: number) => Uint8Array.from({ length }, () => Math.floor(random() * 256))

const NASTY_STRINGS = [
  "' OR 1=1 --",
  "admin'--",
  '"; DROP TABLE users; --',
  '1; SELECT * FROM access_tokens',
  '%00',
  '\u0000',
  'Ω≈ç√∫˜µ≤≥÷',
  'ユーザー名',
  '𝕦𝕟𝕚𝕔𝕠𝕕𝕖',
  '\u202e\u0041\u0042',
  'a'.repeat(5000),
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '{{7*7}}#{7*7}<%= 7*7 %>',
  '%ZZ%',
  '+',
  '',
  ' ',
  '\ud800',
]
const GRANT_TYPES = [
  'password',
  'authorization_code',
  'refresh_token',
  'client_credentials',
  '',
  'PASSWORD',
  'x'.repeat(300),
]
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=----x',
  'application/octet-stream',
  'application/x-www-form-urlencoded; charset=latin1',
  '',
  '*/*',
  'application/x-www-form-urlencoded, application/json',
]

type Client = { clientId: string; clientSecret: string }
let client: Client
let liveToken: string
let sessionCookie: string
/** Ids of an application of the logged-in user, and of someone else's. */
let ids: string[]

beforeAll(async () => {
  const user = await makeUser()
  const app = await makeApplication({
    grantTypes: ['password', 'authorization-code'],
    redirectUris: [REDIRECT_URI],
    userId: user.id,
  })
  client = { clientId: app.clientId, clientSecret: app.clientSecret ?? '' }
  const granted = await postToken(
    form({ grant_type: 'password', username: user.username, password: user.plainPassword, ...clientParams() }),
  )
  liveToken = (await granted.json<{ access_token: string }>()).access_token
  sessionCookie = await login(user)
  const target = await makeApplication({
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    userId: user.id,
  })
  const foreign = await makeApplication()
  ids = [String(target.id), String(foreign.id), '0', '-1', '9'.repeat(30), '1.5', 'abc', "1' OR 1=1", '%ff', '%2e%2e']
})

function clientParams() {
  return { client_id: client.clientId, client_secret: client.clientSecret }
}

function enc(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return value // a lone surrogate: sent raw
  }
}

function formBody(): BodyInit {
  switch (Math.floor(random() * 9)) {
    case 0:
      return bytes(Math.floor(random() * 2000)) // garbage, usually invalid UTF-8
    case 1:
      return `grant_type=password&username=${'x'.repeat(MAX_BODY_BYTES + Math.floor(random() * 1000))}`
    case 2:
      return `grant_type=${enc(pick(GRANT_TYPES))}&grant_type=${enc(pick(GRANT_TYPES))}&client_id=${client.clientId}`
    case 3: // a real client, nasty credentials: reaches user lookup and password verification
      return `grant_type=password&client_id=${client.clientId}&client_secret=${client.clientSecret}&username=${enc(pick(NASTY_STRINGS))}${Math.floor(random() * 1e9)}&password=${enc(pick(NASTY_STRINGS))}`
    case 4:
      return new Uint8Array([...new TextEncoder().encode('grant_type=password&username='), 0xc3, 0x28, 0xff, 0xfe])
    case 5:
      return `grant_type=password&scope=${enc(pick(NASTY_STRINGS))}&client_id=${enc(pick(NASTY_STRINGS))}&client_secret=${enc(pick(NASTY_STRINGS))}`
    case 6:
      return JSON.stringify({ grant_type: 'password', username: pick(NASTY_STRINGS), nested: { a: [1, 2] } })
    case 7:
      return `${'&'.repeat(Math.floor(random() * 500))}=${'='.repeat(50)}%%%`
    default:
      return `grant_type=${enc(pick(GRANT_TYPES))}&code=${enc(pick(NASTY_STRINGS))}&refresh_token=${'A'.repeat(Math.floor(random() * 3000))}`
  }
}

/** Per parameter: the value a well-formed request would send, then wrong ones. */
const AUTHORIZE_VALUES: Record<string, () => string[]> = {
  response_type: () => ['code', 'token', '', 'CODE', 'code id_token', pick(NASTY_STRINGS)],
  client_id: () => [client.clientId, pick(NASTY_STRINGS)],
  redirect_uri: () => [REDIRECT_URI, `${REDIRECT_URI}/x`, 'javascript:alert(1)', '//evil.example', pick(NASTY_STRINGS)],
  scope: () => ['read', 'read write', 'openid', 'admin', pick(NASTY_STRINGS)],
  state: () => ['xyz', pick(NASTY_STRINGS)],
  code_challenge: () => ['E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'short', pick(NASTY_STRINGS)],
  code_challenge_method: () => ['S256', 'plain', 's256', pick(NASTY_STRINGS)],
  nonce: () => ['n-0S6_WzA2Mj', pick(NASTY_STRINGS)],
  prompt: () => ['consent', 'none', 'login', 'none login', pick(NASTY_STRINGS)],
  allow: () => ['Approve', 'Deny', pick(NASTY_STRINGS)],
}

/**
 * An authorization request (query or consent form): each parameter usually well-formed, so
 * requests get past validation to the login redirect, the consent page and code issuance;
 * sometimes wrong, missing or repeated.
 */
function authorizeParams(): string {
  const parts: string[] = []
  for (const [name, values] of Object.entries(AUTHORIZE_VALUES)) {
    const roll = random()
    if (roll < 0.1) continue
    const times = roll > 0.95 ? 2 : 1
    for (let i = 0; i < times; i++) parts.push(`${name}=${enc(random() < 0.75 ? values()[0] : pick(values()))}`)
  }
  return parts.join('&')
}

function loginBody(): BodyInit {
  if (random() < 0.3) return formBody()
  const next = pick([
    '/o/authorize/?client_id=x',
    'https://evil.example/',
    '//evil.example',
    '/\\evil',
    pick(NASTY_STRINGS),
  ])
  return `username=${enc(pick(NASTY_STRINGS))}${Math.floor(random() * 1e9)}&password=${enc(pick(NASTY_STRINGS))}&next=${enc(next)}`
}

const JSON_VALUES = [null, true, 0, -1, 1e308, '', [], {}, [null], { a: 1 }, 'x'.repeat(3000)]

/** Application input with fields of the wrong type, unknown or oversized; sometimes not JSON at all. */
function jsonBody(): BodyInit {
  switch (Math.floor(random() * 5)) {
    case 0:
      return pick([bytes(200), '{"name":', '[]', 'null', '"x"', `{"name":"${'n'.repeat(MAX_BODY_BYTES)}"}`])
    case 1:
      return JSON.stringify({ name: pick(NASTY_STRINGS), client_type: pick(['confidential', 'public', 'secret', '']) })
    default: {
      // Each field usually right, so some registrations and updates go through.
      const value = () => (random() < 0.5 ? pick(JSON_VALUES) : pick(NASTY_STRINGS))
      const usually = <T>(good: () => T) => (random() < 0.8 ? good() : value())
      return JSON.stringify({
        name: usually(() => pick(NASTY_STRINGS.filter((name) => name.trim() !== '' && name.length < 255))),
        client_type: usually(() => pick(['confidential', 'public'])),
        authorization_grant_type: usually(() => [pick(['authorization-code', 'password', 'client-credentials'])]),
        redirect_uris: usually(() => [pick([REDIRECT_URI, REDIRECT_URI, 'http://evil.example/', 'javascript:x'])]),
        skip_authorization: usually(() => false),
        ...(random() < 0.2 ? { [pick(NASTY_STRINGS)]: value() } : {}),
      })
    }
  }
}

/** btoa() takes Latin-1 only. */
const latin1 = (value: string) => Array.from(value, (char) => (char.charCodeAt(0) > 0xff ? '?' : char)).join('')

function authorization(): string | undefined {
  switch (Math.floor(random() * 9)) {
    case 0:
      return undefined
    case 1:
      return `Bearer ${'A'.repeat(Math.floor(random() * 12000))}`
    case 2:
      return `Bearer ${liveToken}${pick(['', 'x', ' extra', '=', '%ff'])}`
    case 3:
      return `Basic ${btoa(`${latin1(pick(NASTY_STRINGS))}:${pick(['', 'x', ':'])}`)}`
    case 4:
      return `Basic ${pick(['', '!!!', '====', 'Og==', 'YQ', btoa('\xff\xfe:\xff')])}`
    case 5:
      return `Token ${'k'.repeat(Math.floor(random() * 100))}`
    case 6:
      return 'Bearer %ff%fe\x7f'
    case 7:
      return pick(['Bearer', 'bearer  ', ' Bearer x', 'Bearer a b c', 'Digest x'])
    default:
      return `${'B'.repeat(8000)} ${'x'.repeat(8000)}`
  }
}

function cookie(): string | undefined {
  switch (Math.floor(random() * 6)) {
    case 0:
    case 1:
      return sessionCookie
    case 2:
      return `__Host-eot_session=${latin1(enc(pick(NASTY_STRINGS)))}`
    case 3:
      return `__Host-eot_session=${'s'.repeat(5000)}.${'x'.repeat(50)}; ${sessionCookie}`
    case 4:
      return pick([';;;==', '=', `${sessionCookie}x`, '__Host-eot_session=a.b.c=', 'eot_session=%ff'])
    default:
      return undefined
  }
}

const GARBAGE_BODIES = () => [bytes(100), '{"a":', 'x'.repeat(MAX_BODY_BYTES + 10)]

function requestBody(endpoint: Endpoint): BodyInit {
  switch (endpoint.body) {
    case 'form':
      return formBody()
    case 'authorize':
      return random() < 0.8 ? authorizeParams() : formBody()
    case 'login':
      return loginBody()
    case 'json':
      return jsonBody()
    default:
      return pick(GARBAGE_BODIES())
  }
}

function malformedRequest(endpoint: Endpoint): Request {
  const headers = new Headers()
  const auth = authorization()
  if (auth !== undefined) headers.set('Authorization', auth)
  const cookieHeader = cookie()
  if (cookieHeader !== undefined) headers.set('Cookie', cookieHeader)
  if (random() < 0.2) headers.set('X-Overlong', 'h'.repeat(16 * 1024))
  if (random() < 0.2) headers.set('CF-Connecting-IP', pick(['203.0.113.9', '::1', 'not-an-ip', "' OR 1=1"]))
  // Forms from this site pass the CSRF check and reach the handlers; others are refused first.
  if (endpoint.method !== 'GET') {
    const origin = pick(['https://example.com', 'https://example.com', 'https://evil.example', 'null', undefined])
    if (origin !== undefined) headers.set('Origin', origin)
  }
  let url = `https://example.com${endpoint.path.replace('{id}', () => pick(ids))}`
  if (endpoint.path === '/o/authorize/' && endpoint.method === 'GET') url += `?${authorizeParams()}`
  else if (random() < 0.3) {
    url += `?${pick(['access_token=x', 'a=1&a=2', '%ff%fe', `q=${'z'.repeat(4000)}`, "id=' OR 1=1", 'next=//evil.example'])}`
  }
  let body: BodyInit | undefined
  if (endpoint.method !== 'GET') {
    body = requestBody(endpoint)
    const contentType = endpoint.body === 'json' && random() < 0.6 ? 'application/json' : pick(CONTENT_TYPES)
    if (contentType) headers.set('Content-Type', contentType)
  }
  // Redirects are answers too (to the login page, or to the client with a code or an error): not followed.
  return new Request(url, { method: endpoint.method, headers, body, redirect: 'manual' })
}

/** RFC 6749 §5.2: `error` (a string), and `error_description` when present a string too. */
function isOAuthError(body: Record<string, unknown>): boolean {
  return typeof body.error === 'string' && ['string', 'undefined'].includes(typeof body.error_description)
}

/**
 * DRF: `{"detail": "…"}`, or — for a 400 from a serializer — its field errors
 * `{"field": ["message", …]}` (/api/users/, /api-token-auth/, the management API).
 */
function isDrfError(body: Record<string, unknown>, status: number): boolean {
  if (typeof body.detail === 'string') return !('error' in body)
  const fields = Object.values(body)
  return (
    status === 400 &&
    fields.length > 0 &&
    fields.every((messages) => Array.isArray(messages) && messages.every((m) => typeof m === 'string'))
  )
}

/** An HTML error page: served as HTML, no trace of the server's insides. */
function isHtmlErrorPage(response: Response, text: string): boolean {
  return (response.headers.get('Content-Type') ?? '').startsWith('text/html') && /<html/i.test(text)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The dialect of where a request landed: its endpoint's, unless dot segments in the id took the
 * URL elsewhere (/o/applications/%2e%2e/ is /o/), where the app's notFound answers: OAuth under /o/.
 */
function landedDialect(endpoint: Endpoint, url: string): Dialect {
  const pathname = new URL(url).pathname
  const pattern = new RegExp(`^${endpoint.path.split('{id}').map(escapeRegExp).join('[^/]+')}$`)
  if (pattern.test(pathname)) return endpoint.dialect
  return pathname.startsWith('/o/') ? 'oauth' : 'drf'
}

/** Why an error answer is not in `dialect`, or null when it is. */
function dialectProblem(dialect: Dialect, response: Response, text: string): string | null {
  if (dialect === 'html') return isHtmlErrorPage(response, text) ? null : 'not an HTML page'
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return 'not JSON'
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not a JSON object'
  const record = body as Record<string, unknown>
  if (dialect === 'oauth' ? !isOAuthError(record) : !isDrfError(record, response.status)) {
    return dialect === 'oauth' ? 'no OAuth error' : 'no DRF detail or field errors'
  }
  // RFC 7235 §3.1: every 401 carries a challenge.
  if (response.status === 401 && !response.headers.get('WWW-Authenticate')) return '401 without WWW-Authenticate'
  return null
}

// A V8 stack frame ("    at fn (file.ts:1:2)"), a source location, or a raw Error dump.
const STACK_TRACE = /\n\s+at\s|\.(?:ts|tsx|js|mjs):\d+:\d+|\b(?:TypeError|ReferenceError|SyntaxError|RangeError)\b/

const PER_ENDPOINT = Math.ceil(1500 / ENDPOINTS.length)

describe('generated malformed input', () => {
  it(`${PER_ENDPOINT * ENDPOINTS.length} malformed requests across every endpoint: no 5xx, no stack trace, every error in its endpoint's own dialect (OAuth error, DRF detail or field errors, HTML page)`, {
    timeout: 300_000,
  }, async () => {
    const failures: string[] = []
    let sent = 0
    for (const endpoint of ENDPOINTS) {
      for (let batch = 0; batch < PER_ENDPOINT; batch += 20) {
        const requests = Array.from({ length: Math.min(20, PER_ENDPOINT - batch) }, () => malformedRequest(endpoint))
        const responses = await Promise.all(requests.map((request) => SELF.fetch(request)))
        for (const [i, response] of responses.entries()) {
          sent++
          const text = await response.text()
          const where = `${endpoint.method} ${new URL(requests[i].url).pathname} → ${response.status} ${text.slice(0, 120)} (${requests[i].headers.get('Content-Type')})`
          if (response.status >= 500) failures.push(where)
          else if (STACK_TRACE.test(text)) failures.push(`stack trace: ${where}`)
          else if (response.status >= 400) {
            const dialect = landedDialect(endpoint, requests[i].url)
            const problem = dialectProblem(dialect, response, text)
            if (problem) failures.push(`${problem} (${dialect} dialect): ${where}`)
          }
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(1000)
    expect(failures).toEqual([])
  })
})
