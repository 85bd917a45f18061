import { describe, expect, it } from 'vitest'
import { normalizeResourceUri, splitResourceList } from './resource-uri.ts'

describe('normalizeResourceUri (RFC 8707 §2)', () => {
  it('lower-cases scheme and host, drops the default port and one trailing slash', () => {
    expect(normalizeResourceUri('HTTPS://Example.COM:443/api/')).toBe('https://example.com/api')
    expect(normalizeResourceUri('https://example.com')).toBe('https://example.com')
    expect(normalizeResourceUri('https://example.com/')).toBe('https://example.com')
    expect(normalizeResourceUri('https://example.com:8443/x')).toBe('https://example.com:8443/x')
    expect(normalizeResourceUri('https://example.com/api?v=1')).toBe('https://example.com/api?v=1')
    // Only one slash: a path that ends in two is another resource.
    expect(normalizeResourceUri('https://example.com/api//')).toBe('https://example.com/api/')
  })

  it('refuses relative URIs, fragments, credentials and whitespace', () => {
    for (const value of ['/api', 'example.com/api', '', 'https://example.com/api#', 'https://example.com/#x']) {
      expect(normalizeResourceUri(value)).toBeNull()
    }
    expect(normalizeResourceUri('https://user:pw@example.com/api')).toBeNull()
    expect(normalizeResourceUri('https://example.com/a b')).toBeNull()
  })

  it('splits a setting on whitespace and commas', () => {
    expect(splitResourceList(' https://a.example, https://b.example\nhttps://c.example ')).toEqual([
      'https://a.example',
      'https://b.example',
      'https://c.example',
    ])
  })
})
