import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../src/lib/body-limit.ts'
import { makeApplication, passwordToken } from './helpers.ts'

/**
 * Generated malformed requests against every endpoint: none may answer 5xx, and every error
 * must be JSON with `error` (OAuth) or `detail` (DRF). A new endpoint is one line in ENDPOINTS.
 */
type Endpoint = { method: 'GET' | 'POST'; path: string; body: 'form' | 'none' }

const ENDPOINTS: Endpoint[] = [
  { method: 'POST', path: '/o/token/', body: 'form' },
  { method: 'GET', path: '/api/hello', body: 'none' },
  { method: 'POST', path: '/api/hello', body: 'none' },
  { method: 'GET', path: '/o/token/', body: 'none' },
  { method: 'GET', path: '/o/no-such-endpoint/', body: 'none' },
  { method: 'GET', path: '/api/no-such-endpoint', body: 'none' },
  { method: 'GET', path: '/api/users/', body: 'none' },
  { method: 'POST', path: '/api/users/', body: 'form' },
  { method: 'POST', path: '/api-token-auth/', body: 'form' },
  { method: 'POST', path: '/api/build-trigger/', body: 'none' },
  { method: 'GET', path: '/o/userinfo/', body: 'none' },
  { method: 'POST', path: '/o/userinfo/', body: 'form' },
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

beforeAll(async () => {
  const app = await makeApplication()
  client = { clientId: app.clientId, clientSecret: app.clientSecret ?? '' }
  liveToken = (await passwordToken()).token
})

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

function malformedRequest(endpoint: Endpoint): Request {
  const headers = new Headers()
  const auth = authorization()
  if (auth !== undefined) headers.set('Authorization', auth)
  if (random() < 0.2) headers.set('X-Overlong', 'h'.repeat(16 * 1024))
  if (random() < 0.2) headers.set('CF-Connecting-IP', pick(['203.0.113.9', '::1', 'not-an-ip', "' OR 1=1"]))
  let url = `https://example.com${endpoint.path}`
  if (random() < 0.3) url += `?${pick(['access_token=x', 'a=1&a=2', '%ff%fe', `q=${'z'.repeat(4000)}`, "id=' OR 1=1"])}`
  let body: BodyInit | undefined
  if (endpoint.method === 'POST') {
    body = endpoint.body === 'form' ? formBody() : pick([bytes(100), '{"a":', 'x'.repeat(MAX_BODY_BYTES + 10)])
    const contentType = pick(CONTENT_TYPES)
    if (contentType) headers.set('Content-Type', contentType)
  }
  return new Request(url, { method: endpoint.method, headers, body })
}

/**
 * RFC 6749 `error`, DRF `detail`, or — for a 400 from a DRF serializer — DRF's field errors
 * `{"field": ["message", …]}` (issue 3's shape for /api/users/ and /api-token-auth/).
 */
function isErrorShape(body: unknown, status: number): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  const record = body as Record<string, unknown>
  if (typeof record.error === 'string' || typeof record.detail === 'string') return true
  const fields = Object.values(record)
  return (
    status === 400 &&
    fields.length > 0 &&
    fields.every((messages) => Array.isArray(messages) && messages.every((m) => typeof m === 'string'))
  )
}

const PER_ENDPOINT = Math.ceil(1200 / ENDPOINTS.length)

describe('generated malformed input', () => {
  it(`${PER_ENDPOINT * ENDPOINTS.length} malformed requests across every endpoint: no 5xx, every error JSON with error, detail or DRF field errors`, {
    timeout: 240_000,
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
          const where = `${endpoint.method} ${endpoint.path} → ${response.status} ${text.slice(0, 120)} (${requests[i].headers.get('Content-Type')})`
          if (response.status >= 500) failures.push(where)
          else if (response.status >= 400) {
            let body: unknown
            try {
              body = JSON.parse(text)
            } catch {
              failures.push(`not JSON: ${where}`)
              continue
            }
            if (!isErrorShape(body, response.status)) failures.push(`no error/detail: ${where}`)
          }
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(1000)
    expect(failures).toEqual([])
  })
})
