/**
 * `next` after login: never a way off the site, also once URL parsing has
 * collapsed dot segments and percent-encoded dots into `//host`, which a browser reads as a
 * network-path reference (RFC 3986 §4.2).
 */
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { makeUser, ORIGIN, postForm } from '../helpers.ts'

describe('safeNext after URL normalisation', () => {
  const hostile = [
    '/.//evil.com',
    '/%2e//evil.com',
    '/%2E//evil.com',
    '/%2E%2E//evil.com',
    '/..//evil.com',
    '/a/..//evil.com',
    '/a/%2e%2e//evil.com',
    '/./\\evil.com',
    '/\\evil.com',
    '//evil.com',
    '///evil.com',
    'https://evil.com',
    'https:evil.com',
    '\\\\evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    '/.\t//evil.com',
    '\t//evil.com',
    ' //evil.com',
    '//evil.com\n',
  ]
  for (const next of hostile) {
    it(`RFC 9700 §4.11 (open redirect): next=${JSON.stringify(next)} lands on the fallback`, async () => {
      const user = await makeUser()
      const response = await postForm('/accounts/login/', {
        username: user.username,
        password: user.plainPassword,
        next,
      })
      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toBe('/accounts/login/')
    })
  }

  // Not a way off the site: a browser reads `/%5Cevil.com` as a path on this origin.
  const local: [string, string][] = [
    ['/o/authorize/?client_id=abc&state=x%2Fy', '/o/authorize/?client_id=abc&state=x%2Fy'],
    ['/o/applications/', '/o/applications/'],
    ['/a/../b/', '/b/'],
    ['/%5Cevil.com', '/%5Cevil.com'],
    ['/page#frag', '/page#frag'],
  ]
  for (const [next, location] of local) {
    it(`a local next=${JSON.stringify(next)} is followed`, async () => {
      const user = await makeUser()
      const response = await postForm('/accounts/login/', {
        username: user.username,
        password: user.plainPassword,
        next,
      })
      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toBe(location)
    })
  }

  it('the login page does not carry a hostile next into its form', async () => {
    const page = await SELF.fetch(`${ORIGIN}/accounts/login/?next=${encodeURIComponent('/.//evil.com')}`)
    const html = await page.text()
    expect(html).toContain('name="next" value="/accounts/login/"')
    expect(html).not.toContain('evil.com')
  })
})
