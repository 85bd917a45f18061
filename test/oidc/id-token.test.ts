/**
 * ID Tokens built by createIdToken, verified the way a relying party does: against the
 * published JWKS with jose, including across a key rotation.
 */
import { env, SELF } from 'cloudflare:test'
import { base64url, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { generateSigningKeySet, loadSigningKeys } from '../../src/crypto/signing-keys.ts'
import { app } from '../../src/index.ts'
import { type IdTokenContext, idTokenForGrant } from '../../src/oauth/oidc/grant-id-token.ts'
import { accessTokenHash, createIdToken, type IdTokenInput } from '../../src/oauth/oidc/id-token.ts'
import { makeApplication, makeUser } from '../helpers.ts'

const ISSUER = 'https://example.com'
const CLIENT_ID = 'client-abc'

async function publishedJwks(secret?: string): Promise<JSONWebKeySet> {
  const response = secret
    ? await app.request(`${ISSUER}/o/.well-known/jwks.json`, {}, { ...env, OIDC_SIGNING_KEYS: secret })
    : await SELF.fetch(`${ISSUER}/o/.well-known/jwks.json`)
  return response.json<JSONWebKeySet>()
}

async function idToken(overrides: Partial<IdTokenInput> = {}) {
  const user = await makeUser()
  const input: IdTokenInput = {
    keys: await loadSigningKeys(env.OIDC_SIGNING_KEYS),
    issuer: ISSUER,
    clientId: CLIENT_ID,
    user,
    scopes: ['openid'],
    nonce: 'n-0S6_WzA2Mj',
    authTime: 1_700_000_000,
    accessToken: 'eat_example-access-token',
    algorithm: 'RS256',
    lifetime: 36000,
    ...overrides,
  }
  return { user, input, token: await createIdToken(input) }
}

async function verify(token: string, jwks?: JSONWebKeySet) {
  return jwtVerify(token, createLocalJWKSet(jwks ?? (await publishedJwks())), { issuer: ISSUER, audience: CLIENT_ID })
}

describe('createIdToken', () => {
  it('OIDC Core §2: a JWS that verifies against the published JWKS, with iss, sub, aud, exp, iat, auth_time, nonce', async () => {
    const { user, token } = await idToken()
    const before = Math.floor(Date.now() / 1000)
    const { payload, protectedHeader } = await verify(token)
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload).toEqual({
      iss: ISSUER,
      sub: String(user.id),
      aud: CLIENT_ID,
      iat: expect.any(Number),
      exp: expect.any(Number),
      auth_time: 1_700_000_000,
      nonce: 'n-0S6_WzA2Mj',
      at_hash: expect.any(String),
    })
    expect(payload.iat).toBeGreaterThanOrEqual(before - 1)
    expect(payload.exp).toBe((payload.iat as number) + 36000)
  })

  it('OIDC Core §3.1.3.6: at_hash is the left half of SHA-256 of the access token, base64url', async () => {
    const accessToken = 'eat_at-hash-check'
    const { token } = await idToken({ accessToken })
    const { payload } = await verify(token)
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)))
    expect(payload.at_hash).toBe(base64url.encode(digest.slice(0, 16)))
    expect(payload.at_hash).toBe(await accessTokenHash(accessToken, 'RS256'))
  })

  it('OIDC Core §3.1.3.6: the OIDC example access token hashes to its published at_hash', async () => {
    // OIDC Core Appendix A.3 (response_type=id_token token, RS256).
    expect(await accessTokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ')
  })

  it('omits nonce and at_hash when there is none', async () => {
    const { token } = await idToken({ nonce: null, accessToken: null })
    const { payload } = await verify(token)
    expect(payload).not.toHaveProperty('nonce')
    expect(payload).not.toHaveProperty('at_hash')
  })

  it('the header names the signing key: the newest RS256 key of the set', async () => {
    const { token } = await idToken()
    const keys = await loadSigningKeys(env.OIDC_SIGNING_KEYS)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: keys.signer('RS256')?.kid })
    expect(keys.all.at(-1)?.kid).toBe(keys.signer('RS256')?.kid)
  })

  it('ES256 for an application that selects it, signed by the EC key and verifiable by the JWKS', async () => {
    const { token } = await idToken({ algorithm: 'ES256' })
    const { protectedHeader } = await verify(token)
    expect(protectedHeader.alg).toBe('ES256')
    const jwks = await publishedJwks()
    expect(jwks.keys.find((key) => key.kid === protectedHeader.kid)?.kty).toBe('EC')
  })

  it('an algorithm without a configured key is a configuration fault', async () => {
    const rsaOnly = await loadSigningKeys(await generateSigningKeySet(['RS256']))
    await expect(idToken({ keys: rsaOnly, algorithm: 'ES256' })).rejects.toThrow('No ES256 key')
  })

  it('OIDC Core §5.4: profile and email scopes add their claims; empty values are omitted', async () => {
    const { user, token } = await idToken({ scopes: ['openid', 'profile', 'email'] })
    const { payload } = await verify(token)
    expect(payload).toMatchObject({
      preferred_username: user.username,
      email: 'user@example.com',
      email_verified: false,
    })
    // makeUser sets no first or last name.
    expect(payload).not.toHaveProperty('name')
    expect(payload).not.toHaveProperty('given_name')
  })

  it('name, given_name and family_name come from the user', async () => {
    const user = { id: 7, username: 'ada', email: '', firstName: 'Ada', lastName: 'Lovelace' }
    const { token } = await idToken({ user, scopes: ['openid', 'profile', 'email'] })
    const { payload } = await verify(token)
    expect(payload).toMatchObject({ sub: '7', name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' })
    expect(payload).not.toHaveProperty('email')
    expect(payload).not.toHaveProperty('email_verified')
  })

  it('a relying party rejects it for another audience, another issuer, or once expired', async () => {
    const { token } = await idToken({ issuedAt: Math.floor(Date.now() / 1000) - 100, lifetime: 50 })
    const jwks = createLocalJWKSet(await publishedJwks())
    await expect(jwtVerify(token, jwks, { issuer: ISSUER, audience: CLIENT_ID })).rejects.toThrow('"exp"')
    const { token: fresh } = await idToken()
    await expect(jwtVerify(fresh, jwks, { issuer: ISSUER, audience: 'other' })).rejects.toThrow('"aud"')
    await expect(jwtVerify(fresh, jwks, { issuer: 'https://evil.example', audience: CLIENT_ID })).rejects.toThrow(
      '"iss"',
    )
  })

  it('key rotation: a token signed by the old key still verifies after a new key is added; new tokens use the new kid', async () => {
    const oldSet = await generateSigningKeySet(['RS256'])
    const newSet = await generateSigningKeySet(['RS256'])
    const rotated = JSON.stringify({ keys: [...JSON.parse(oldSet).keys, ...JSON.parse(newSet).keys] })
    const oldKeys = await loadSigningKeys(oldSet)
    const rotatedKeys = await loadSigningKeys(rotated)

    const { token: before } = await idToken({ keys: oldKeys })
    const { token: after } = await idToken({ keys: rotatedKeys })
    const jwksAfterRotation = await publishedJwks(rotated)

    expect(jwksAfterRotation.keys.map((key) => key.kid)).toEqual(rotatedKeys.all.map((key) => key.kid))
    expect((await verify(before, jwksAfterRotation)).protectedHeader.kid).toBe(oldKeys.all[0].kid)
    const { protectedHeader } = await verify(after, jwksAfterRotation)
    expect(protectedHeader.kid).toBe(rotatedKeys.all[1].kid)
    expect(protectedHeader.kid).not.toBe(oldKeys.all[0].kid)
    // Once the old key is removed, its tokens stop verifying.
    await expect(verify(before, await publishedJwks(newSet))).rejects.toThrow()
  })
})

describe('idTokenForGrant (what the authorization_code and refresh grants call)', () => {
  async function grantInput(algorithm: 'RS256' | 'ES256' = 'RS256'): Promise<IdTokenContext> {
    return {
      config: getConfig(env),
      application: await makeApplication({ algorithm }),
      issuer: ISSUER,
      signingKeys: () => loadSigningKeys(env.OIDC_SIGNING_KEYS),
    }
  }

  const details = async (scopes: string[]) => ({
    user: await makeUser(),
    scopes,
    accessToken: 'eat_grant',
    nonce: 'abc',
    authTime: 1_700_000_000,
  })

  it('OIDC Core §3.1.3.3: no openid scope, no id_token', async () => {
    expect(await idTokenForGrant(await grantInput(), await details(['read', 'profile']))).toBeNull()
  })

  it("signs with the application's algorithm, for its client_id, with ID_TOKEN_EXPIRE_SECONDS", async () => {
    for (const algorithm of ['RS256', 'ES256'] as const) {
      const input = await grantInput(algorithm)
      const token = await idTokenForGrant(input, await details(['openid', 'email']))
      const { payload, protectedHeader } = await jwtVerify(token ?? '', createLocalJWKSet(await publishedJwks()), {
        issuer: ISSUER,
        audience: input.application.clientId,
      })
      expect(protectedHeader.alg).toBe(algorithm)
      expect((payload.exp as number) - (payload.iat as number)).toBe(getConfig(env).idTokenLifetime)
      expect(payload).toMatchObject({ nonce: 'abc', auth_time: 1_700_000_000, email: 'user@example.com' })
      expect(payload.at_hash).toBe(await accessTokenHash('eat_grant', algorithm))
    }
  })
})
