import { SELF } from 'cloudflare:test'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../src/lib/body-limit.ts'
import { htmlSecurityHeaders, sessionCookie } from '../../src/lib/html-security.ts'
import { form, makeApplication, makeUser, postToken } from '../helpers.ts'

/** Every /o/ endpoint that takes a form body: a new one is one line here. */
const OAUTH_FORM_ENDPOINTS = ['/o/token/']

async function validParams() {
  const user = await makeUser()
  const app = await makeApplication()
  return {
    grant_type: 'password',
    username: user.username,
    password: user.plainPassword,
    client_id: app.clientId,
    client_secret: app.clientSecret ?? '',
    scope: 'read',
  }
}

function post(path: string, body: BodyInit, contentType?: string) {
  return SELF.fetch(`https://example.com${path}`, {
    method: 'POST',
    headers: contentType ? { 'Content-Type': contentType } : {},
    body,
  })
}

describe('request body limits', () => {
  it(`a body over ${MAX_BODY_BYTES} bytes on /o/* → 413 with an RFC 6749 JSON error`, async () => {
    for (const path of OAUTH_FORM_ENDPOINTS) {
      const response = await post(
        path,
        `grant_type=password&x=${'a'.repeat(MAX_BODY_BYTES)}`,
        'application/x-www-form-urlencoded',
      )
      expect(response.status).toBe(413)
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) })
    }
  })

  it('a streamed body without Content-Length is counted too', async () => {
    const chunk = new TextEncoder().encode('a'.repeat(16 * 1024))
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 6; i++) controller.enqueue(chunk)
        controller.close()
      },
    })
    const response = await post('/o/token/', stream, 'application/x-www-form-urlencoded')
    expect(response.status).toBe(413)
  })

  it('a body over the limit on /api/* → 413 with a DRF detail', async () => {
    const response = await post('/api/hello', 'x'.repeat(MAX_BODY_BYTES + 1), 'application/json')
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ detail: expect.stringContaining('too large') })
  })

  it('a body at the limit is read normally', async () => {
    const params = await validParams()
    const body = form(params)
    const padded = `${body}&redirect_uri=${'a'.repeat(MAX_BODY_BYTES - body.length - '&redirect_uri='.length)}`
    expect(padded.length).toBe(MAX_BODY_BYTES)
    expect((await postToken(padded)).status).toBe(200)
  })
})

describe('RFC 6749 §3.1/§3.2: parameters must not be included more than once', () => {
  for (const path of OAUTH_FORM_ENDPOINTS) {
    it(`every repeated parameter on ${path} → invalid_request`, async () => {
      const params = await validParams()
      for (const [name, value] of Object.entries(params)) {
        const response = await post(
          path,
          `${form(params)}&${name}=${encodeURIComponent(value)}`,
          'application/x-www-form-urlencoded',
        )
        expect(response.status).toBe(400)
        const body = await response.json<{ error: string; error_description: string }>()
        expect(body.error).toBe('invalid_request')
        expect(body.error_description).toContain(`Repeated parameter: ${name}`)
      }
    })
  }
})

describe('RFC 6749 §3.2: the token endpoint takes application/x-www-form-urlencoded only', () => {
  for (const contentType of [
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    undefined,
  ]) {
    it(`Content-Type ${contentType ?? '(none)'} → 400 invalid_request`, async () => {
      const params = await validParams()
      const body = contentType === 'application/json' ? JSON.stringify(params) : form(params)
      const response = await post('/o/token/', body, contentType)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: 'invalid_request' })
    })
  }
})

describe('HTML page security', () => {
  const app = new Hono()
  app.use('*', htmlSecurityHeaders())
  app.get('/page', (c) => c.html('<p>hi</p>'))

  it("sets CSP with frame-ancestors 'none', nosniff, Referrer-Policy no-referrer, X-Frame-Options DENY", async () => {
    const response = await app.request('/page')
    const csp = response.headers.get('Content-Security-Policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("default-src 'none'")
    // form-action would also block the consent form's redirect to the client (another origin).
    expect(csp).not.toContain('form-action')
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(response.headers.get('X-Frame-Options')).toBe('DENY')
  })

  it('session cookies take the __Host- prefix and Secure over HTTPS', () => {
    expect(sessionCookie('sessionid', 'https://auth.example.com/accounts/login/')).toEqual({
      name: '__Host-sessionid',
      options: { path: '/', httpOnly: true, sameSite: 'Lax', secure: true },
    })
  })

  it('plain-HTTP localhost (wrangler dev) is the one exception; other plain-HTTP hosts stay Secure', () => {
    expect(sessionCookie('sessionid', 'http://localhost:8787/accounts/login/')).toEqual({
      name: 'sessionid',
      options: { path: '/', httpOnly: true, sameSite: 'Lax', secure: false },
    })
    expect(sessionCookie('sessionid', 'http://auth.example.com/').name).toBe('__Host-sessionid')
  })
})
