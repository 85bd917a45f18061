import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ALGS } from '../dpop.ts'
import {
  basic,
  expectOAuthError,
  form,
  inEveryTokenDatabase,
  makeApplication,
  passwordToken,
  postToken,
} from '../helpers.ts'

function introspect(body: Record<string, string>, headers: Record<string, string> = {}) {
  return SELF.fetch('https://example.com/o/introspect/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form(body),
  })
}

/** A designated resource server (staff-set `can_introspect`): it may introspect any token. */
async function resourceServer() {
  const app = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
  return { Authorization: basic(app.clientId, app.clientSecret ?? '') }
}

describe('POST /o/introspect/', () => {
  it('RFC 7662 §2.2: describes an active token to an authenticated client', async () => {
    const { token, user, app } = await passwordToken('read write')
    const before = Math.floor(Date.now() / 1000)
    const response = await introspect({ token }, await resourceServer())
    expect(response.status).toBe(200)
    const body = await response.json<Record<string, unknown>>()
    expect(body).toEqual({
      active: true,
      scope: 'read write',
      client_id: app.clientId,
      username: user.username,
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
      sub: String(user.id),
      // RFC 8707: a token requested without resource is for the default audience, the API.
      aud: 'https://example.com/api',
    })
    expect(body.exp).toBe((body.iat as number) + 86400)
    expect(Math.abs((body.iat as number) - before)).toBeLessThan(5)
  })

  it("RFC 7662 §2.1: a resource server's Bearer token with the introspection scope may call it", async () => {
    const { token } = await passwordToken('read')
    const server = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
    const caller = await (
      await postToken(form({ grant_type: 'client_credentials', scope: 'introspection' }), {
        Authorization: basic(server.clientId, server.clientSecret ?? ''),
      })
    ).json<{ access_token: string }>()
    const response = await introspect({ token }, { Authorization: `Bearer ${caller.access_token}` })
    expect(response.status).toBe(200)
    expect((await response.json<{ active: boolean }>()).active).toBe(true)
  })

  it('RFC 7662 §2.2: a client_credentials token has no username or sub', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const issued = await (
      await postToken(form({ grant_type: 'client_credentials' }), {
        Authorization: basic(app.clientId, app.clientSecret ?? ''),
      })
    ).json<{ access_token: string }>()
    const body = await (await introspect({ token: issued.access_token }, await resourceServer())).json<
      Record<string, unknown>
    >()
    expect(body.active).toBe(true)
    expect(body.client_id).toBe(app.clientId)
    expect(body).not.toHaveProperty('username')
    expect(body).not.toHaveProperty('sub')
  })

  it('RFC 7662 §2.2: unknown, revoked, expired or refresh tokens → exactly {"active": false}', async () => {
    const headers = await resourceServer()
    const { token, refreshToken, app } = await passwordToken()
    for (const value of ['eat_nope', 'garbage', refreshToken]) {
      expect(await (await introspect({ token: value }, headers)).json()).toEqual({ active: false })
    }
    await SELF.fetch('https://example.com/o/revoke-token/', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(app.clientId, app.clientSecret ?? ''),
      },
      body: form({ token }),
    })
    expect(await (await introspect({ token }, headers)).json()).toEqual({ active: false })
    const expired = await passwordToken()
    await inEveryTokenDatabase('UPDATE access_tokens SET expires_at = 1')
    expect(await (await introspect({ token: expired.token }, headers)).json()).toEqual({ active: false })
  })

  it('RFC 7662 §2.3: no caller credentials → 401 JSON', async () => {
    const { token } = await passwordToken()
    await expectOAuthError(await introspect({ token }), 401, 'invalid_client')
  })

  it('RFC 7662 §2.3: wrong client secret, a public client or an unknown Bearer token → 401; a Bearer token without the scope → 403', async () => {
    const { token, app } = await passwordToken('read')
    await expectOAuthError(
      await introspect({ token }, { Authorization: basic(app.clientId, 'wrong') }),
      401,
      'invalid_client',
    )
    const publicApp = await makeApplication({ clientType: 'public' })
    await expectOAuthError(await introspect({ token, client_id: publicApp.clientId }), 401, 'invalid_client')
    await expectOAuthError(await introspect({ token }, { Authorization: `Bearer ${token}` }), 403, 'insufficient_scope')
    await expectOAuthError(await introspect({ token }, { Authorization: 'Bearer eat_forged' }), 401, 'invalid_client')
  })

  it('RFC 7662 §2.1: a missing token → 400 invalid_request', async () => {
    await expectOAuthError(await introspect({}, await resourceServer()), 400, 'invalid_request')
  })

  it('the introspection scope is not among the default scopes', async () => {
    const { body } = await passwordToken()
    expect(body.scope).toBe('read write groups')
  })
})

// RFC 8414 §2: private_key_jwt's algorithms, asymmetric only (never none or HMAC).
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']

describe('GET /.well-known/oauth-authorization-server', () => {
  it('RFC 8414 §2/§3: lists the endpoints, grants, auth methods, PKCE methods and scopes supported', async () => {
    const response = await SELF.fetch('https://example.com/.well-known/oauth-authorization-server')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      issuer: 'https://example.com',
      authorization_endpoint: 'https://example.com/o/authorize/',
      token_endpoint: 'https://example.com/o/token/',
      revocation_endpoint: 'https://example.com/o/revoke-token/',
      introspection_endpoint: 'https://example.com/o/introspect/',
      device_authorization_endpoint: 'https://example.com/o/device-authorization/',
      // draft-ietf-oauth-client-id-metadata-document: off by default.
      client_id_metadata_document_supported: false,
      dpop_signing_alg_values_supported: ALGS.split(' '),
      // RFC 9126 §5.
      pushed_authorization_request_endpoint: 'https://example.com/o/par/',
      require_pushed_authorization_requests: false,
      jwks_uri: 'https://example.com/o/.well-known/jwks.json',
      scopes_supported: ['read', 'write', 'groups', 'introspection', 'openid', 'profile', 'email', 'offline_access'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
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
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    })
  })
})
