/**
 * RFC 9068 JWT access tokens, per resource: a resource listed in JWT_ACCESS_TOKEN_RESOURCES (one
 * of RESOURCES) receives access tokens it verifies from the JWKS alone — jose and oauth4webapi
 * check them here as such a resource server would — while introspection and revocation still
 * answer for them (their jti names the token's row). Opaque tokens stay the default.
 */
import { SELF } from 'cloudflare:test'
import {
  base64url,
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { dpopKey, proof } from '../dpop.ts'
import {
  basic,
  expectOAuthError,
  fetchWithSettings,
  form,
  makeApplication,
  makeUser,
  ORIGIN,
  tokenDatabases,
} from '../helpers.ts'

const RS = 'https://rs.example.com'
const SETTINGS = { RESOURCES: `${RS} https://other.example.com`, JWT_ACCESS_TOKEN_RESOURCES: RS }
const JWKS = createRemoteJWKSet(new URL(`${ORIGIN}/o/.well-known/jwks.json`), {
  [customFetch]: (url: string, init: RequestInit) => SELF.fetch(url, init),
})

/** POST a form (pairs, for a repeated parameter) with the settings of this file (and `more`). */
function post(
  path: string,
  body: Record<string, string> | [string, string][],
  headers: Record<string, string> = {},
  more: Record<string, string> = {},
) {
  return fetchWithSettings(
    new Request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: Array.isArray(body) ? new URLSearchParams(body).toString() : form(body),
    }),
    { ...SETTINGS, ...more },
  )
}

async function serviceClient() {
  const app = await makeApplication({ grantTypes: ['client-credentials'] })
  return { app, auth: { Authorization: basic(app.clientId, app.clientSecret ?? '') } }
}

type TokenResponse = {
  access_token: string
  refresh_token?: string
  token_type: string
  expires_in: number
  scope: string
}

async function tokens(response: Response): Promise<TokenResponse> {
  expect(response.status).toBe(200)
  return response.json<TokenResponse>()
}

/** What a resource server that only verifies signatures does (RFC 9068 §4): jose with the JWKS. */
function verifyAsResourceServer(token: string) {
  return jwtVerify(token, JWKS, { issuer: ORIGIN, audience: RS, typ: 'at+jwt', algorithms: ['RS256'] })
}

describe('RFC 9068 §2: JWT access tokens for the resources marked to receive them', () => {
  it('§2.1, §2.2: client_credentials for the resource → an at+jwt a resource server verifies from the JWKS', async () => {
    const { app, auth } = await serviceClient()
    const issued = await tokens(
      await post('/o/token/', { grant_type: 'client_credentials', scope: 'read write', resource: RS }, auth),
    )
    expect(issued.token_type).toBe('Bearer')
    expect(decodeProtectedHeader(issued.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' })
    const { payload } = await verifyAsResourceServer(issued.access_token)
    expect(payload).toMatchObject({
      iss: ORIGIN,
      aud: RS,
      // §2.2: no resource owner: sub is the client.
      sub: app.clientId,
      client_id: app.clientId,
      scope: 'read write',
    })
    expect(payload.exp).toBe((payload.iat ?? 0) + 86400)
    expect(issued.expires_in).toBe(86400)
    // The row's digest (32 bytes), then outside shard 0 the token shard's number (2 bytes).
    expect(payload.jti).toMatch(/^([A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{46})$/)
  })

  it('the jti names the token shard that holds the row: introspection and revocation find it in every shard', async () => {
    const { auth } = await serviceClient()
    for (const { shard } of tokenDatabases()) {
      const inShard = { SHARD_ROUTES: `*=${shard}` }
      const { access_token } = await tokens(
        await post('/o/token/', { grant_type: 'client_credentials', resource: RS }, auth, inShard),
      )
      const { payload } = await verifyAsResourceServer(access_token)
      const jti = base64url.decode(String(payload.jti))
      expect(jti.length, `shard ${shard}`).toBe(shard === 0 ? 32 : 34)
      if (shard !== 0) expect(new DataView(jti.buffer, jti.byteOffset).getUint16(32)).toBe(shard)
      // Asked of a Worker that routes new grants elsewhere: the token's own shard answers.
      const introspect = async () =>
        (await post('/o/introspect/', { token: access_token }, auth)).json<Record<string, unknown>>()
      expect(await introspect(), `shard ${shard}`).toMatchObject({ active: true })
      expect((await post('/o/revoke_token/', { token: access_token }, auth)).status).toBe(200)
      expect(await introspect(), `shard ${shard}`).toEqual({ active: false })
    }
  })

  it('§2.2: for a user, sub is the user (as in id_tokens and introspection); the refresh token stays opaque and refreshes to a new JWT', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const issued = await tokens(
      await post('/o/token/', {
        grant_type: 'password',
        username: user.username,
        password: user.plainPassword,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
        resource: RS,
      }),
    )
    expect((await verifyAsResourceServer(issued.access_token)).payload.sub).toBe(String(user.id))
    expect(issued.refresh_token).toMatch(/^ert_/)
    const refreshed = await tokens(
      await post('/o/token/', {
        grant_type: 'refresh_token',
        refresh_token: issued.refresh_token ?? '',
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    const { payload } = await verifyAsResourceServer(refreshed.access_token)
    expect(payload.sub).toBe(String(user.id))
    expect(refreshed.access_token).not.toBe(issued.access_token)
  })

  it('RFC 7662 / RFC 7009: introspection answers for a JWT access token; after its revocation it is inactive, though its signature still verifies', async () => {
    const { app, auth } = await serviceClient()
    const { access_token } = await tokens(
      await post('/o/token/', { grant_type: 'client_credentials', resource: RS }, auth),
    )
    const introspect = async () =>
      (await post('/o/introspect/', { token: access_token }, auth)).json<Record<string, unknown>>()
    expect(await introspect()).toMatchObject({ active: true, client_id: app.clientId, aud: RS, token_type: 'Bearer' })
    expect((await post('/o/revoke_token/', { token: access_token }, auth)).status).toBe(200)
    expect(await introspect()).toEqual({ active: false })
    // What a resource server that only verifies signatures cannot see: the revocation (docs/standards.md).
    await expect(verifyAsResourceServer(access_token)).resolves.toBeTruthy()
  })

  it('a JWT access token this issuer did not sign is unknown to introspection', async () => {
    const { auth } = await serviceClient()
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ client_id: 'x', scope: 'read', jti: 'A'.repeat(43) })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
      .setIssuer(ORIGIN)
      .setAudience(RS)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey)
    expect(await (await post('/o/introspect/', { token: forged }, auth)).json()).toEqual({ active: false })
  })

  it('a JWT access token is for its resource only: this Worker’s API refuses it', async () => {
    const { auth } = await serviceClient()
    const { access_token } = await tokens(
      await post('/o/token/', { grant_type: 'client_credentials', resource: RS }, auth),
    )
    const response = await fetchWithSettings(
      new Request(`${ORIGIN}/api/hello`, { headers: { Authorization: `Bearer ${access_token}` } }),
      SETTINGS,
    )
    expect(response.status).toBe(401)
  })

  it('opaque tokens stay the default: for this Worker’s API, and for a resource not marked', async () => {
    const { auth } = await serviceClient()
    for (const resource of [undefined, 'https://other.example.com']) {
      const body: Record<string, string> = { grant_type: 'client_credentials', ...(resource ? { resource } : {}) }
      const { access_token } = await tokens(await post('/o/token/', body, auth))
      expect(access_token, resource).toMatch(/^eat_/)
    }
  })

  it('RFC 8707 §2: one token cannot be both a JWT and opaque: a marked and an unmarked resource together are invalid_target', async () => {
    const { auth } = await serviceClient()
    const body: [string, string][] = [
      ['grant_type', 'client_credentials'],
      ['resource', RS],
      ['resource', 'https://other.example.com'],
    ]
    const response = await post('/o/token/', body, auth)
    await expectOAuthError(response, 400, 'invalid_target')
  })

  it('RFC 9449 §6.1: a DPoP-bound JWT carries cnf.jkt; oauth4webapi, as the resource server, verifies token and proof', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const issued = await post(
      '/o/token/',
      { grant_type: 'client_credentials', resource: RS },
      { ...auth, DPoP: await proof(key, `${ORIGIN}/o/token/`) },
    )
    const { access_token, token_type } = await tokens(issued)
    expect(token_type).toBe('DPoP')
    expect((await verifyAsResourceServer(access_token)).payload.cnf).toEqual({ jkt: key.jkt })

    const as = await oauth.processDiscoveryResponse(
      new URL(ORIGIN),
      await oauth.discoveryRequest(new URL(ORIGIN), { [oauth.customFetch]: (url, init) => SELF.fetch(url, init) }),
    )
    const resourceRequest = new Request(`${RS}/things`, {
      headers: {
        Authorization: `DPoP ${access_token}`,
        DPoP: await proof(key, `${RS}/things`, { method: 'GET', accessToken: access_token }),
      },
    })
    const claims = await oauth.validateJwtAccessToken(as, resourceRequest, RS, {
      [oauth.customFetch]: (url, init) => SELF.fetch(url, init),
    })
    expect(claims.cnf).toEqual({ jkt: key.jkt })
    const stolen = new Request(`${RS}/things`, { headers: { Authorization: `Bearer ${access_token}` } })
    await expect(
      oauth.validateJwtAccessToken(as, stolen, RS, { [oauth.customFetch]: (url, init) => SELF.fetch(url, init) }),
    ).rejects.toThrow()
  })
})
