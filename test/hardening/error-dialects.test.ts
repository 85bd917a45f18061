import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../src/lib/body-limit.ts'
import { expectOAuthError, login, makeUser, ORIGIN } from '../helpers.ts'

/**
 * Each router answers in its own dialect, whatever its path: OAuth JSON for the authorization
 * server's endpoints, DRF's `{"detail": …}` for /api/* and the management API (under /o/), HTML
 * pages for the browser pages (under /o/ too). Malformed JSON on the management API, its 405
 * on PUT /o/applications/{id}/ and a D1 outage are in management-origin.test.ts and faults.test.ts.
 */
const OVERSIZED = 'x'.repeat(MAX_BODY_BYTES + 1)

function send(method: string, path: string, body?: string, contentType = 'application/json', cookie?: string) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    headers: {
      Origin: ORIGIN,
      ...(body === undefined ? {} : { 'Content-Type': contentType }),
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body,
    redirect: 'manual',
  })
}

async function expectDrf(response: Response, status: number) {
  expect(response.status).toBe(status)
  const body = await response.json<Record<string, unknown>>()
  expect(Object.keys(body)).toEqual(['detail'])
  return body
}

async function expectPage(response: Response, status: number) {
  expect(response.status).toBe(status)
  expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
  // The page middleware ran: even an error page cannot be framed.
  expect(response.headers.get('X-Frame-Options')).toBe('DENY')
  const text = await response.text()
  expect(text).toContain('href="/accounts/login/"')
  return text
}

describe('RFC 9110 §15.5.6: 405 with Allow, in the dialect of the router owning the path', () => {
  it('PUT /o/applications/ (management API, under /o/) → DRF 405', async () => {
    // As DRF, authentication comes first: the owner's session.
    const cookie = await login(await makeUser())
    const response = await send('PUT', '/o/applications/', '{}', 'application/json', cookie)
    expect(response.headers.get('Allow')).toBe('GET, HEAD, POST')
    expect(await expectDrf(response, 405)).toEqual({ detail: 'Method "PUT" not allowed.' })
  })

  it('PUT /o/userinfo/ → OAuth 405', async () => {
    const response = await send('PUT', '/o/userinfo/', 'a=1', 'application/x-www-form-urlencoded')
    expect(response.headers.get('Allow')).toBe('GET, HEAD, POST')
    await expectOAuthError(response, 405, 'invalid_request')
  })

  for (const path of ['/accounts/login/', '/o/authorize/', '/o/logout/']) {
    it(`PUT ${path} → an HTML 405 page`, async () => {
      const response = await send('PUT', path, 'a=1', 'application/x-www-form-urlencoded')
      expect(response.headers.get('Allow')).toBe('GET, HEAD, POST')
      expect(await expectPage(response, 405)).toContain('method_not_allowed')
    })
  }
})

describe('413 for an oversized body, in the dialect of the router it was sent to', () => {
  it('the management API under /o/ answers DRF, not OAuth', async () => {
    await expectDrf(await send('POST', '/o/applications/', OVERSIZED), 413)
  })

  it('the resource API and /api-token-auth/ answer DRF', async () => {
    await expectDrf(await send('POST', '/api/users/', OVERSIZED), 413)
    await expectDrf(await send('POST', '/api-token-auth/', OVERSIZED), 413)
  })

  it('RFC 6749 §5.2: the token endpoint answers OAuth invalid_request', async () => {
    await expectOAuthError(
      await send('POST', '/o/token/', OVERSIZED, 'application/x-www-form-urlencoded'),
      413,
      'invalid_request',
    )
  })

  for (const path of ['/o/authorize/', '/o/logout/']) {
    it(`the page ${path} answers with an HTML page, however large the body`, async () => {
      const response = await send('POST', path, OVERSIZED, 'application/x-www-form-urlencoded')
      expect(await expectPage(response, 413)).toContain('The form is too large.')
    })
  }
})
