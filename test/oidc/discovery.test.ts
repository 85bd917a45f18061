/**
 * OIDC Discovery 1.0 metadata and the JWKS, as a client fetches them.
 */
import { env, SELF } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { app } from '../../src/index.ts'
import { ALGS } from '../dpop.ts'
import { fetchWithSettings } from '../helpers.ts'

const ORIGIN = 'https://example.com'
// RFC 7518 §6.3.2 (RSA) and §6.2.2 (EC) private members; `k` is a symmetric key (§6.4.1).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

type Jwk = Record<string, unknown>

// RFC 8414 §2: private_key_jwt's algorithms, asymmetric only (never none or HMAC).
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']

async function discovery(init?: RequestInit) {
  return SELF.fetch(`${ORIGIN}/.well-known/openid-configuration`, init)
}

afterEach(() => vi.restoreAllMocks())

describe('GET /.well-known/openid-configuration', () => {
  it('OIDC Discovery 1.0 §3: lists the endpoints and features this server has', async () => {
    const response = await discovery()
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/)
    const metadata = await response.json<Record<string, unknown>>()
    expect(metadata).toEqual({
      issuer: ORIGIN,
      authorization_endpoint: `${ORIGIN}/o/authorize/`,
      token_endpoint: `${ORIGIN}/o/token/`,
      revocation_endpoint: `${ORIGIN}/o/revoke-token/`,
      introspection_endpoint: `${ORIGIN}/o/introspect/`,
      device_authorization_endpoint: `${ORIGIN}/o/device-authorization/`,
      // draft-ietf-oauth-client-id-metadata-document: off by default.
      client_id_metadata_document_supported: false,
      dpop_signing_alg_values_supported: ALGS.split(' '),
      // RFC 9126 §5.
      pushed_authorization_request_endpoint: `${ORIGIN}/o/par/`,
      require_pushed_authorization_requests: false,
      jwks_uri: `${ORIGIN}/o/.well-known/jwks.json`,
      userinfo_endpoint: `${ORIGIN}/o/userinfo/`,
      end_session_endpoint: `${ORIGIN}/o/logout/`,
      scopes_supported: ['read', 'write', 'groups', 'introspection', 'openid', 'profile', 'email', 'offline_access'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      grant_types_supported: [
        'authorization_code',
        'client_credentials',
        'password',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ],
      // draft-ietf-oauth-identity-assertion-authz-grant §7: ID-JAGs accepted and issued.
      authorization_grant_profiles_supported: ['urn:ietf:params:oauth:grant-profile:id-jag'],
      identity_chaining_requested_token_types_supported: ['urn:ietf:params:oauth:token-type:id-jag'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ALGORITHMS,
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ],
      revocation_endpoint_auth_signing_alg_values_supported: ALGORITHMS,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      introspection_endpoint_auth_signing_alg_values_supported: ALGORITHMS,
      subject_types_supported: ['public'],
      request_uri_parameter_supported: false,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'at_hash',
        'preferred_username',
        'name',
        'given_name',
        'family_name',
        'email',
        'email_verified',
      ],
    })
  })

  it('OIDC Discovery 1.0 §4.3: with ISSUER unset, the issuer is exactly the loopback URL the document was fetched under', async () => {
    const response = await fetchWithSettings(new Request('http://localhost:8787/.well-known/openid-configuration'), {
      ISSUER: undefined,
    })
    const metadata = await response.json<{ issuer: string; token_endpoint: string }>()
    expect(metadata.issuer).toBe('http://localhost:8787')
    expect(metadata.token_endpoint).toBe('http://localhost:8787/o/token/')
  })

  it('ISSUER overrides the request origin (a trailing slash is dropped)', async () => {
    const response = await app.request(
      '/.well-known/openid-configuration',
      {},
      { ...env, ISSUER: 'https://id.example.net/' },
    )
    const metadata = await response.json<{ issuer: string; userinfo_endpoint: string }>()
    expect(metadata.issuer).toBe('https://id.example.net')
    expect(metadata.userinfo_endpoint).toBe('https://id.example.net/o/userinfo/')
  })

  it('an ISSUER with a query is a configuration fault, not a document with a bad issuer', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const response = await app.request(
      '/.well-known/openid-configuration',
      {},
      { ...env, ISSUER: 'https://x.example/?a=1' },
    )
    expect(response.status).toBe(500)
    // The operator learns which setting is wrong from the log (and the body names it).
    expect(logged).toHaveBeenCalledWith('Invalid setting: ISSUER: must have no query or fragment')
    expect(await response.text()).toContain('invalid setting ISSUER')
  })

  it('lists only the algorithms a key is configured for', async () => {
    const keys = JSON.parse(env.OIDC_SIGNING_KEYS).keys.filter((key: Jwk) => key.kty === 'RSA')
    const response = await app.request(
      '/.well-known/openid-configuration',
      {},
      { ...env, OIDC_SIGNING_KEYS: JSON.stringify({ keys }) },
    )
    const metadata = await response.json<{ id_token_signing_alg_values_supported: string[] }>()
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['RS256'])
  })

  it('is cacheable and readable cross-origin', async () => {
    const response = await discovery({ headers: { Origin: 'https://spa.example' } })
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=3600')
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*')
  })
})

describe('GET /o/.well-known/jwks.json', () => {
  async function jwks() {
    const response = await SELF.fetch(`${ORIGIN}/o/.well-known/jwks.json`)
    expect(response.status).toBe(200)
    return { response, keys: (await response.json<{ keys: Jwk[] }>()).keys }
  }

  it('RFC 7517 §5: publishes every configured key, public members only', async () => {
    const { keys } = await jwks()
    const configured = JSON.parse(env.OIDC_SIGNING_KEYS).keys as Jwk[]
    expect(configured).toHaveLength(3)
    expect(keys).toHaveLength(configured.length)
    for (const key of keys) {
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member)
      expect(Object.keys(key).sort()).toEqual(
        key.kty === 'RSA' ? ['alg', 'e', 'kid', 'kty', 'n', 'use'] : ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
      )
      expect(key.use).toBe('sig')
    }
    expect(keys.map((key) => key.alg)).toEqual(['RS256', 'ES256', 'RS256'])
    expect(new Set(keys.map((key) => key.kid)).size).toBe(3)
  })

  it('no private value of any configured key appears anywhere in the response', async () => {
    const text = await (await SELF.fetch(`${ORIGIN}/o/.well-known/jwks.json`)).text()
    for (const key of JSON.parse(env.OIDC_SIGNING_KEYS).keys as Jwk[]) {
      for (const member of PRIVATE_MEMBERS) {
        if (typeof key[member] === 'string') expect(text).not.toContain(key[member])
      }
    }
  })

  it('is cacheable for a bounded time and readable cross-origin', async () => {
    const response = await SELF.fetch(`${ORIGIN}/o/.well-known/jwks.json`, {
      headers: { Origin: 'https://spa.example' },
    })
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=600')
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*')
  })

  it('a misconfigured key is a logged 500 server_error, never a leak of the secret', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const secret = '{"keys": [{"kty": "RSA", "d": "c2VjcmV0LXZhbHVl"}]}'
    const response = await app.request('/o/.well-known/jwks.json', {}, { ...env, OIDC_SIGNING_KEYS: secret })
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ error: 'server_error', error_description: 'Internal server error.' })
    expect(text).not.toContain('c2VjcmV0LXZhbHVl')
    // Logged: which key is wrong, and not its secret either.
    expect(logged).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ message: expect.stringContaining('OIDC_SIGNING_KEYS key 1') }),
    )
    expect(JSON.stringify(logged.mock.calls.map((call) => call.map(String)))).not.toContain('c2VjcmV0LXZhbHVl')
  })
})
