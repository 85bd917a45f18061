/**
 * Settings without HTTP: src/config.ts is the one home of every default, so an empty environment
 * must already give the project's intended values (wrangler.toml repeats none of them).
 */
import { describe, expect, it } from 'vitest'
import { getConfig } from './config.ts'

describe('defaults (src/config.ts)', () => {
  const config = getConfig({})

  it('grants read, write and groups when a request names no scope', () => {
    expect(config.defaultScopes).toEqual(['read', 'write', 'groups'])
  })

  it('configures every default scope', () => {
    for (const scope of config.defaultScopes) expect(config.scopes, scope).toHaveProperty(scope)
  })

  it('configures introspection (for designated resource servers) but never grants it by default', () => {
    expect(config.scopes).toHaveProperty('introspection')
    expect(config.defaultScopes).not.toContain('introspection')
  })

  it("keeps DOT's and Django's lifetimes", () => {
    expect(config).toMatchObject({
      accessTokenLifetime: 86400,
      refreshTokenLifetime: 1209600,
      authorizationCodeLifetime: 60,
      refreshTokenGracePeriod: 0,
      sessionLifetime: 1209600,
      idTokenLifetime: 36000,
      pageSize: 20,
      issuer: null,
      legacyTokenFormatUntil: null,
      importedTokensUntil: null,
      tokenCache: { memorySeconds: 5, memoryEntries: 10000, negativeSeconds: 60 },
    })
  })

  it('refuses DEFAULT_SCOPES naming a scope SCOPES lacks', () => {
    expect(() => getConfig({ DEFAULT_SCOPES: 'read admin' })).toThrow(/unknown scopes: admin/)
  })
})
