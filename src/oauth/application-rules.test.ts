import { describe, expect, it } from 'vitest'
import {
  applicationNameProblem,
  applicationProblems,
  clientNameProblem,
  clientSecretProblem,
  distinct,
  isAllowedRedirectUri,
  MIN_CLIENT_SECRET_LENGTH,
  postLogoutRedirectUriProblem,
  redirectUriProblem,
} from './application-rules.ts'

const GOOD = [
  'https://client.example/cb',
  'https://client.example/cb?x=1&y=%20',
  'http://localhost/cb',
  'http://127.0.0.1:8000/cb',
  'http://[::1]:9000/cb',
]

const BAD = {
  'plain http to another machine': 'http://client.example/cb',
  'javascript:': 'javascript:alert(1)',
  'data:': 'data:text/html,<script>alert(1)</script>',
  'a fragment': 'https://client.example/cb#x',
  'an empty fragment': 'https://client.example/cb#',
  'not a URI': 'nope',
  relative: '/cb',
  'a space (two URIs in one)': 'https://client.example/cb https://evil.example/cb',
  'a tab': 'https://client.example/c\tb',
  'a newline': 'https://client.example/cb\n',
  NUL: 'https://client.example/c\u0000b',
  DEL: 'https://client.example/c\u007fb',
  'a C1 control': 'https://client.example/c\u0085b',
  NBSP: 'https://client.example/c\u00a0b',
  'U+2028': 'https://client.example/c\u2028b',
  'a backslash (parsed as /)': 'https://client.example\\@evil.example/',
  'U+202E (right-to-left override)': 'https://client.example/\u202ecb',
  'U+200E (left-to-right mark)': 'https://client.example\u200e/cb',
  'U+2066 (left-to-right isolate)': 'https://\u2066client.example/cb',
  'leading space': ' https://client.example/cb',
  'too long': `https://client.example/${'a'.repeat(2000)}`,
}

describe('redirectUriProblem (RFC 6749 §3.1.2, shared by the API, the CLI and /o/authorize/)', () => {
  it('accepts https, and http only to loopback', () => {
    for (const uri of GOOD) expect(redirectUriProblem(uri), uri).toBeNull()
  })

  it('RFC 6749 §3.1.2: refuses other schemes, fragments, whitespace, control characters and backslashes', () => {
    for (const [why, uri] of Object.entries(BAD)) {
      expect(redirectUriProblem(uri), why).toEqual(expect.any(String))
      expect(isAllowedRedirectUri(uri), why).toBe(false)
      expect(postLogoutRedirectUriProblem(uri), why).toEqual(expect.any(String))
    }
    expect(redirectUriProblem(BAD['a tab'])).toBe(
      'A URI may not contain whitespace, control characters or backslashes.',
    )
  })
})

describe('clientSecretProblem', () => {
  it(`needs at least ${MIN_CLIENT_SECRET_LENGTH} printable ASCII characters and no more than 255`, () => {
    expect(clientSecretProblem('x')).toMatch(/at least 32/)
    expect(clientSecretProblem('a'.repeat(31))).toMatch(/at least 32/)
    expect(clientSecretProblem('a'.repeat(32))).toBeNull()
    expect(clientSecretProblem('a'.repeat(255))).toBeNull()
    expect(clientSecretProblem('a'.repeat(256))).toMatch(/at most 255/)
    expect(clientSecretProblem(`${'a'.repeat(32)} b`)).toMatch(/printable ASCII/)
    expect(clientSecretProblem(`${'a'.repeat(32)}é`)).toMatch(/printable ASCII/)
  })
})

describe('applicationProblems', () => {
  const base = {
    clientType: 'confidential',
    grantTypes: ['authorization-code'],
    redirectUris: ['https://c.example/cb'],
  } as const

  it('accepts a sound application', () => {
    expect(applicationProblems(base)).toBeNull()
  })

  it('RFC 6749 §4.4: a public client may not use client-credentials; RFC 6749 §3.1.2.2: the code grant needs a redirect URI', () => {
    expect(applicationProblems({ ...base, clientType: 'public', grantTypes: ['client-credentials'] })).toEqual({
      authorization_grant_type: ['Public clients may not use the client-credentials grant.'],
    })
    expect(applicationProblems({ ...base, redirectUris: [] })).toHaveProperty('redirect_uris')
    expect(applicationProblems({ ...base, grantTypes: [] })).toHaveProperty('authorization_grant_type')
  })

  it('names each bad URI by its list and index, for redirect and post-logout URIs', () => {
    expect(
      applicationProblems({
        ...base,
        redirectUris: ['https://c.example/cb', 'javascript:alert(1)'],
        postLogoutRedirectUris: ['http://rp.example/bye'],
      }),
    ).toEqual({
      'redirect_uris.1': [expect.any(String)],
      'post_logout_redirect_uris.0': [expect.any(String)],
    })
    expect(applicationProblems({ ...base, redirectUris: Array(21).fill('https://c.example/cb') })).toHaveProperty(
      'redirect_uris',
    )
  })

  it('checks a chosen client secret; a public client takes none', () => {
    expect(applicationProblems({ ...base, clientSecret: 'x' })).toEqual({
      client_secret: [expect.stringMatching(/32/)],
    })
    expect(applicationProblems({ ...base, clientSecret: 's'.repeat(40) })).toBeNull()
    expect(applicationProblems({ ...base, clientType: 'public', clientSecret: 's'.repeat(40) })).toHaveProperty(
      'client_secret',
    )
  })
})

describe('names: one line, no control or format characters (Unicode Cf)', () => {
  it('accepts ordinary text in any script; refuses bidi controls, marks and zero-width characters', () => {
    for (const name of ['Photo Printer', 'Bücher & Co.', 'طابعة الصور', '写真プリンター']) {
      expect(applicationNameProblem(name), name).toBeNull()
      expect(clientNameProblem(name), name).toBeNull()
    }
    for (const name of [
      'invoice\u202egpj.exe',
      'a\u200eb',
      'a\u2066b\u2069',
      'zero\u200bwidth',
      'soft\u00adhyphen',
      'two\nlines',
    ]) {
      expect(applicationNameProblem(name), JSON.stringify(name)).toMatch(/format characters/)
      expect(clientNameProblem(name), JSON.stringify(name)).toMatch(/one line/)
    }
  })
})

describe('distinct', () => {
  it('keeps the first of each value, in order', () => {
    expect(distinct(['password', 'authorization-code', 'password'])).toEqual(['password', 'authorization-code'])
  })
})
