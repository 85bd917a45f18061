import { describe, expect, it } from 'vitest'
import { parseAuthorization, schemeCredential, usesScheme } from './authorization.ts'

describe('the Authorization header', () => {
  it('RFC 7235 §2.1: the scheme is case-insensitive', () => {
    expect(parseAuthorization('BEARER abc')).toEqual({ scheme: 'bearer', credentials: 'abc' })
    expect(usesScheme('bAsIc dXNlcjpwYXNz', 'basic')).toBe(true)
    expect(schemeCredential('Bearer abc', 'bearer')).toBe('abc')
  })

  it('RFC 7235 §2.1: the scheme is a whole token, not a prefix', () => {
    expect(usesScheme('Basically abc', 'basic')).toBe(false)
    expect(schemeCredential('Bearerabc', 'bearer')).toBeNull()
  })

  it('one credential only: none or several give no credential', () => {
    expect(parseAuthorization(undefined)).toBeNull()
    expect(parseAuthorization('   ')).toBeNull()
    expect(parseAuthorization('Bearer')).toEqual({ scheme: 'bearer', credentials: '' })
    expect(schemeCredential('Bearer', 'bearer')).toBeNull()
    expect(schemeCredential('Bearer a b', 'bearer')).toBeNull()
    expect(schemeCredential('Bearer   abc  ', 'bearer')).toBe('abc')
    expect(schemeCredential('Basic abc', 'bearer')).toBeNull()
  })
})
