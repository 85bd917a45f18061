/**
 * RFC 9728 protected resource metadata, and the challenges of the resource API that point to it
 * (RFC 9728 §5.1, RFC 6750 §3).
 */
import { describe, expect, it } from 'vitest'
import { ALGS } from '../dpop.ts'
import { api, fetchWithSettings, passwordToken } from '../helpers.ts'

const API_METADATA = 'https://example.com/.well-known/oauth-protected-resource/api'
const ORIGIN_METADATA = 'https://example.com/.well-known/oauth-protected-resource'

/** The parameters of the first Bearer challenge in a WWW-Authenticate header. */
function bearerParams(header: string | null): Record<string, string> {
  const bearer = (header ?? '').match(/Bearer ([\s\S]*?)(?:, (?:Token|Basic)\b|$)/)
  if (!bearer) throw new Error(`no Bearer challenge in ${header}`)
  return Object.fromEntries([...bearer[1].matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]))
}

describe('RFC 9728 §3: the metadata documents', () => {
  it('§3.1 path-inserted form: /.well-known/oauth-protected-resource/api describes the resource <issuer>/api', async () => {
    const response = await api('/.well-known/oauth-protected-resource/api')
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toContain('application/json')
    const metadata = await response.json<Record<string, unknown>>()
    expect(metadata).toEqual({
      // §3.3: the resource identifier the URL was built from.
      resource: 'https://example.com/api',
      authorization_servers: ['https://example.com'],
      // The API's own scopes: no OIDC scope and never introspection.
      scopes_supported: ['read', 'write', 'groups'],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ALGS.split(' '),
      dpop_bound_access_tokens_required: false,
      resource_name: 'Resource API',
      resource_documentation: 'https://example.com/docs',
    })
  })

  it('§3.1: /.well-known/oauth-protected-resource describes the origin, with the OIDC scopes too', async () => {
    const metadata = await (await api('/.well-known/oauth-protected-resource')).json<Record<string, unknown>>()
    expect(metadata.resource).toBe('https://example.com')
    expect(metadata.authorization_servers).toEqual(['https://example.com'])
    expect(metadata.scopes_supported).toEqual(['read', 'write', 'groups', 'openid', 'profile', 'email'])
    expect(metadata.bearer_methods_supported).toEqual(['header'])
  })

  it('§2 authorization_servers: each is an issuer whose RFC 8414 metadata names itself', async () => {
    const metadata = await (await api('/.well-known/oauth-protected-resource/api')).json<{
      authorization_servers: string[]
    }>()
    for (const server of metadata.authorization_servers) {
      const asMetadata = await (await api(`${server}/.well-known/oauth-authorization-server`)).json<{
        issuer: string
      }>()
      expect(asMetadata.issuer).toBe(server)
    }
  })

  it('§2 scopes_supported follows SCOPES: an operator scope appears, a removed one does not', async () => {
    const response = await fetchWithSettings(
      new Request('https://example.com/.well-known/oauth-protected-resource/api'),
      {
        SCOPES: JSON.stringify({ read: 'Read', write: 'Write', deploy: 'Deploy', openid: 'OIDC' }),
        DEFAULT_SCOPES: 'read',
      },
    )
    expect((await response.json<{ scopes_supported: string[] }>()).scopes_supported).toEqual([
      'read',
      'write',
      'deploy',
    ])
  })

  it('the documents are public and cacheable (they change only with a deploy)', async () => {
    const response = await api('/.well-known/oauth-protected-resource/api')
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=3600')
  })

  it('a resource this server does not have has no metadata (404), and other methods get 405 with Allow', async () => {
    expect((await api('/.well-known/oauth-protected-resource/elsewhere')).status).toBe(404)
    const post = await api('/.well-known/oauth-protected-resource/api', { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('Allow')).toContain('GET')
  })

  it('without ISSUER on a public host the document is refused (503), never built from the Host header', async () => {
    const response = await fetchWithSettings(
      new Request('https://attacker.example/.well-known/oauth-protected-resource'),
      {
        ISSUER: undefined,
      },
    )
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' })
  })
})

describe('RFC 9728 §5.1: every Bearer challenge from /api/* names resource_metadata', () => {
  it('401 without credentials (RFC 6750 §3.1: no error code)', async () => {
    const response = await api('/api/hello')
    expect(response.status).toBe(401)
    expect(bearerParams(response.headers.get('WWW-Authenticate'))).toEqual({
      realm: 'api',
      resource_metadata: API_METADATA,
    })
  })

  it('401 invalid_token', async () => {
    const response = await api('/api/users/', { authorization: 'Bearer eat_unknown' })
    expect(response.status).toBe(401)
    expect(bearerParams(response.headers.get('WWW-Authenticate'))).toMatchObject({
      error: 'invalid_token',
      resource_metadata: API_METADATA,
    })
  })

  it('401 for a refused Token key still carries the Bearer challenge with resource_metadata', async () => {
    const response = await api('/api/hello', { authorization: `Token ${'0'.repeat(40)}` })
    expect(response.status).toBe(401)
    expect(bearerParams(response.headers.get('WWW-Authenticate')).resource_metadata).toBe(API_METADATA)
  })

  it('400 invalid_request (RFC 6750 §3.1)', async () => {
    const response = await api('/api/hello', { authorization: 'Bearer' })
    expect(response.status).toBe(400)
    expect(bearerParams(response.headers.get('WWW-Authenticate'))).toMatchObject({
      error: 'invalid_request',
      resource_metadata: API_METADATA,
    })
  })

  it('RFC 6750 §3.1 403 insufficient_scope: scope= names the scope needed, plus resource_metadata', async () => {
    const { token } = await passwordToken('read')
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: `Bearer ${token}` })
    expect(response.status).toBe(403)
    expect(bearerParams(response.headers.get('WWW-Authenticate'))).toEqual({
      realm: 'api',
      error: 'insufficient_scope',
      scope: 'write',
      resource_metadata: API_METADATA,
    })
  })

  it('the metadata URL in a challenge is served and describes the resource the client called', async () => {
    const challenge = bearerParams((await api('/api/hello')).headers.get('WWW-Authenticate'))
    const metadata = await (await api(challenge.resource_metadata)).json<{ resource: string }>()
    expect('https://example.com/api/hello'.startsWith(metadata.resource)).toBe(true)
  })

  it('without ISSUER on a public host, a 401 still answers (no 503) but names no metadata', async () => {
    const response = await fetchWithSettings(new Request('https://attacker.example/api/hello'), { ISSUER: undefined })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(`Bearer realm="api", Token, DPoP realm="api", algs="${ALGS}"`)
  })

  it('on a loopback host without ISSUER (wrangler dev), the metadata URL is that origin', async () => {
    const response = await fetchWithSettings(new Request('http://localhost:8787/api/hello'), { ISSUER: undefined })
    expect(bearerParams(response.headers.get('WWW-Authenticate')).resource_metadata).toBe(
      'http://localhost:8787/.well-known/oauth-protected-resource/api',
    )
  })

  it('the root document is the one a client finds from the origin alone', async () => {
    expect((await api(ORIGIN_METADATA)).status).toBe(200)
  })
})
