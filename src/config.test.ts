/**
 * Settings without HTTP: src/config.ts is the one home of every default, so an empty environment
 * must already give the project's intended values (wrangler.toml repeats none of them).
 */
import { describe, expect, it } from 'vitest'
import { checkSettings, getConfig, SettingsError } from './config.ts'

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

  it('OIDC Core §11: offer offline_access, never grant it by default', () => {
    expect(config.scopes).toHaveProperty('offline_access')
    expect(config.defaultScopes).not.toContain('offline_access')
  })
})

describe('RESOURCES and DEFAULT_AUDIENCE (RFC 8707 §2)', () => {
  it('default to no extra resource and the API as the default audience', () => {
    expect(getConfig({})).toMatchObject({ resources: [], defaultAudience: null })
  })

  it('normalise each URI, separated by whitespace or commas', () => {
    const config = getConfig({
      RESOURCES: 'HTTPS://Billing.Example/, https://reports.example:443/v1\nhttps://x.example/a',
      DEFAULT_AUDIENCE: 'https://Billing.example/',
    })
    expect(config.resources).toEqual(['https://billing.example', 'https://reports.example/v1', 'https://x.example/a'])
    expect(config.defaultAudience).toBe('https://billing.example')
  })

  it('refuse a relative URI or one with a fragment', () => {
    expect(() => getConfig({ RESOURCES: 'https://ok.example /relative' })).toThrow(/RESOURCES: .*\/relative/)
    expect(() => getConfig({ RESOURCES: 'https://a.example/#frag' })).toThrow(/RESOURCES/)
    expect(() => getConfig({ DEFAULT_AUDIENCE: 'api' })).toThrow(/DEFAULT_AUDIENCE/)
  })
})

describe('JWT_ACCESS_TOKEN_RESOURCES (RFC 9068) and the DPoP settings (RFC 9449)', () => {
  it('default to opaque tokens everywhere, no nonce, and a replay check with no I/O on the hot path', () => {
    expect(getConfig({})).toMatchObject({
      jwtAccessTokenResources: [],
      dpop: { requireNonce: false, replayCheck: 'isolate' },
    })
  })

  it('a resource marked for JWT access tokens is one of RESOURCES, normalised', () => {
    const config = getConfig({ RESOURCES: 'https://rs.example/', JWT_ACCESS_TOKEN_RESOURCES: 'HTTPS://RS.example' })
    expect(config.jwtAccessTokenResources).toEqual(['https://rs.example'])
    expect(() => getConfig({ JWT_ACCESS_TOKEN_RESOURCES: 'https://rs.example' })).toThrow(
      /JWT_ACCESS_TOKEN_RESOURCES: not in RESOURCES: https:\/\/rs.example/,
    )
  })
})

describe('a wrong setting is named (SettingsError), its value never shown', () => {
  const failure = (env: object) => {
    try {
      checkSettings({ SECRET_KEY: 'k', ...env })
    } catch (error) {
      return error
    }
    throw new Error('expected the settings to be refused')
  }

  it.each([
    ['PAGE_SIZE', { PAGE_SIZE: '0' }],
    ['PAGE_SIZE', { PAGE_SIZE: 'two' }],
    ['ISSUER', { ISSUER: 'auth.example.com' }],
    ['IMPORTED_TOKENS_UNTIL', { IMPORTED_TOKENS_UNTIL: 'next year' }],
    ['CLIENT_REGISTRATION', { CLIENT_REGISTRATION: 'on' }],
    ['SCOPES', { SCOPES: '{read: "Read"' }],
    ['DEFAULT_SCOPES', { DEFAULT_SCOPES: 'read admin' }],
    ['CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN', { CLIENT_REGISTRATION: 'initial-access-token' }],
    ['JWT_ACCESS_TOKEN_RESOURCES', { JWT_ACCESS_TOKEN_RESOURCES: 'https://not-a-resource.example' }],
    ['DPOP_REPLAY_CHECK', { DPOP_REPLAY_CHECK: 'nowhere' }],
  ])('%s: %j', (setting, env) => {
    const error = failure(env)
    expect(error).toBeInstanceOf(SettingsError)
    expect((error as SettingsError).settings).toEqual([setting])
    expect((error as Error).message).toMatch(new RegExp(`^Invalid setting: ${setting}: \\S`))
  })

  it('names every wrong setting at once', () => {
    const error = failure({ PAGE_SIZE: '0', SITE_NAME: '' }) as SettingsError
    expect(error.settings).toEqual(['PAGE_SIZE', 'SITE_NAME'])
    expect(error.message).toMatch(/^Invalid settings: PAGE_SIZE: .+; SITE_NAME: .+/)
  })

  it('SECRET_KEY unset or empty stops everything; the file it came from is named', () => {
    expect(() => checkSettings({})).toThrow(/^Invalid setting: SECRET_KEY: not set/)
    expect(() => checkSettings({ SECRET_KEY: '' }, '.dev.vars')).toThrow(/SECRET_KEY: not set .*\(in \.dev\.vars\)$/)
  })

  it('never quotes a secret value', () => {
    const secret = 'short-initial-access-token'
    const error = failure({
      CLIENT_REGISTRATION: 'initial-access-token',
      CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN: secret,
    }) as Error
    expect(error.message).toMatch(/CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN/)
    expect(error.message).not.toContain(secret)
  })
})
