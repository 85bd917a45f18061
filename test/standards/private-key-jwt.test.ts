/**
 * private_key_jwt client authentication (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OpenID Connect
 * Core §9): a client registered with a public key set (`jwks`, or a `jwks_uri` fetched under the
 * client metadata documents' SSRF rules) proves itself with a signed, single-use JWT at every
 * endpoint that authenticates clients. The jwks_uri documents are served by stubbing the
 * isolate's global fetch, which the Worker (called in this isolate by fetchWithSettings) uses.
 */
import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { base64url, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setPassword } from '../../src/accounts/user-lifecycle.ts'
import { applications, DEVICE_CODE_GRANT, usedJtis } from '../../src/db/schema.ts'
import { createAuthorizationCode } from '../../src/tokens/authorization-codes.ts'
import { clearExpiredTokens } from '../../src/tokens/cleanup.ts'
import { shardBindingNames } from '../counting.ts'
import {
  basic,
  db,
  expectOAuthError,
  fetchWithSettings,
  fetchWorker,
  form,
  getPage,
  hello,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  pkcePair,
  REDIRECT_URI,
  testStore,
  unique,
} from '../helpers.ts'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const TOKEN_ENDPOINT = `${ORIGIN}/o/token/`

type Settings = Record<string, string | undefined>
type SigningKey = { alg: string; kid: string; privateKey: CryptoKey; jwk: JWK }

async function signingKey(alg = 'ES256', kid: string = unique('kid')): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, jwk }
}

const keySet = (...keys: SigningKey[]) => ({ keys: keys.map((key) => key.jwk) })

/** A client holding only `key` (no secret): the machine-to-machine case, client_credentials. */
async function keyClient(key: SigningKey, overrides: Parameters<typeof makeApplication>[0] = {}) {
  return makeApplication({ grantTypes: ['client-credentials'], clientSecret: null, jwks: keySet(key), ...overrides })
}

type Claims = Record<string, unknown>

/** RFC 7523 §3: a client assertion for `clientId`, signed by `key`; `claims` change or (undefined) drop claims. */
async function assertion(clientId: string, key: SigningKey, claims: Claims = {}, header: Claims = {}) {
  const now = Math.floor(Date.now() / 1000)
  const payload: Claims = {
    iss: clientId,
    sub: clientId,
    aud: ORIGIN,
    exp: now + 60,
    iat: now,
    jti: crypto.randomUUID(),
    ...claims,
  }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey)
}

const asBody = (clientAssertion: string) => ({
  client_assertion_type: ASSERTION_TYPE,
  client_assertion: clientAssertion,
})

function post(
  path: string,
  body: Record<string, string>,
  headers: Record<string, string> = {},
  settings: Settings = {},
) {
  return fetchWithSettings(
    new Request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: form(body),
    }),
    settings,
  )
}

const clientCredentials = (clientAssertion: string, extra: Record<string, string> = {}, settings: Settings = {}) =>
  post('/o/token/', { grant_type: 'client_credentials', ...asBody(clientAssertion), ...extra }, {}, settings)

/** An unsigned JWT (RFC 7519 §6: alg none). */
function unsecured(payload: Claims): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${part({ alg: 'none' })}.${part(payload)}.`
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

/** Serves `documents` (URL → JSON) to the Worker's outbound fetches, 404 for others; returns the URLs asked for. */
function serve(documents: Record<string, unknown>, headers: Record<string, string> = {}): string[] {
  const fetched: string[] = []
  vi.stubGlobal('fetch', async (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input)
    fetched.push(url)
    const body = documents[url]
    return body === undefined
      ? new Response(null, { status: 404 })
      : new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json', ...headers } })
  })
  return fetched
}

let hosts = 0
const jwksUrl = () => `https://keys${Date.now().toString(36)}${++hosts}.example.org/jwks.json`

describe('RFC 7523 §2.2: a client authenticates with a signed JWT', () => {
  it('a client_credentials client holding only a key (no secret) gets a token that works at /api/hello', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    expect(app.clientSecret).toBeNull()
    const response = await clientCredentials(await assertion(app.clientId, key), { scope: 'read' })
    expect(response.status).toBe(200)
    const body = await response.json<{ access_token: string; token_type: string }>()
    expect((await hello(body.access_token)).status).toBe(200)
  })

  it('RFC 7523 §3 (3): aud may be the issuer, the token endpoint URL, or a list holding one of them', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    for (const aud of [ORIGIN, TOKEN_ENDPOINT, ['https://other.example', ORIGIN]]) {
      expect((await clientCredentials(await assertion(app.clientId, key, { aud }))).status, JSON.stringify(aud)).toBe(
        200,
      )
    }
  })

  it('RFC 7521 §4.2: client_id may be sent too, naming the same client', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const response = await clientCredentials(await assertion(app.clientId, key), { client_id: app.clientId })
    expect(response.status).toBe(200)
  })

  it('every asymmetric algorithm the metadata lists verifies (RSA, RSA-PSS, ECDSA, EdDSA)', async () => {
    const metadata = await (await getPage('/.well-known/oauth-authorization-server')).json<Record<string, string[]>>()
    const algorithms = metadata.token_endpoint_auth_signing_alg_values_supported
    expect(algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'])
    for (const alg of algorithms) {
      const key = await signingKey(alg)
      const app = await keyClient(key)
      expect((await clientCredentials(await assertion(app.clientId, key))).status, alg).toBe(200)
    }
  })

  it('a key set with several keys: the kid picks one; without a kid, any key of the set that verifies', async () => {
    const [first, second] = [await signingKey(), await signingKey('RS256')]
    const app = await keyClient(first, { jwks: keySet(first, second) })
    expect((await clientCredentials(await assertion(app.clientId, second))).status).toBe(200)
    const noKid = await new SignJWT({
      iss: app.clientId,
      sub: app.clientId,
      aud: ORIGIN,
      exp: Math.floor(Date.now() / 1000) + 60,
      jti: crypto.randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(first.privateKey)
    expect((await clientCredentials(noKid)).status).toBe(200)
  })
})

describe('at every endpoint that authenticates clients', () => {
  it('authorization_code and refresh_token grants (a confidential client with a key, PKCE optional)', async () => {
    const key = await signingKey()
    const user = await makeUser()
    const app = await keyClient(key, { grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const pkce = await pkcePair()
    const code = await createAuthorizationCode(testStore(), {
      applicationId: app.id,
      userId: user.id,
      redirectUri: REDIRECT_URI,
      scopes: ['read'],
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      nonce: '',
      authTime: Math.floor(Date.now() / 1000),
      lifetime: 60,
    })
    const issued = await post('/o/token/', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
      ...asBody(await assertion(app.clientId, key)),
    })
    expect(issued.status).toBe(200)
    const tokens = await issued.json<{ refresh_token: string }>()
    const refreshed = await post('/o/token/', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      ...asBody(await assertion(app.clientId, key)),
    })
    expect(refreshed.status).toBe(200)
  })

  it('RFC 7009 revocation and RFC 7662 introspection', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const { access_token } = await (await clientCredentials(await assertion(app.clientId, key))).json<{
      access_token: string
    }>()
    const introspected = await post('/o/introspect/', {
      token: access_token,
      ...asBody(await assertion(app.clientId, key)),
    })
    expect(introspected.status).toBe(200)
    expect(await introspected.json()).toMatchObject({ active: true, client_id: app.clientId })
    const revoked = await post('/o/revoke-token/', {
      token: access_token,
      ...asBody(await assertion(app.clientId, key)),
    })
    expect(revoked.status).toBe(200)
    expect((await hello(access_token)).status).toBe(401)
    // A failed assertion at either endpoint is a 401.
    await expectOAuthError(
      await post('/o/introspect/', { token: access_token, ...asBody('x.y.z') }),
      401,
      'invalid_client',
    )
    await expectOAuthError(
      await post('/o/revoke-token/', { token: access_token, ...asBody('x.y.z') }),
      401,
      'invalid_client',
    )
  })

  it('RFC 8628 §3.1 device authorization', async () => {
    const key = await signingKey()
    const app = await keyClient(key, { grantTypes: [DEVICE_CODE_GRANT] })
    const response = await post('/o/device-authorization/', {
      scope: 'read',
      ...asBody(await assertion(app.clientId, key)),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toHaveProperty('device_code')
  })

  it('RFC 9126 §2 PAR: the PAR endpoint URL is an accepted audience there (and only there)', async () => {
    const key = await signingKey()
    const app = await keyClient(key, { grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const pkce = await pkcePair()
    const request = {
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'read',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }
    const parAudience = `${ORIGIN}/o/par/`
    const pushed = await post('/o/par/', {
      ...request,
      ...asBody(await assertion(app.clientId, key, { aud: parAudience })),
    })
    expect(pushed.status).toBe(201)
    const elsewhere = await clientCredentials(await assertion(app.clientId, key, { aud: parAudience }))
    await expectOAuthError(elsewhere, 401, 'invalid_client')
  })
})

describe('refusals (401 invalid_client unless said otherwise)', () => {
  async function refused(response: Response, status = 401, error = 'invalid_client') {
    const body = await expectOAuthError(response, status, error)
    if (status === 401) expect(response.headers.get('WWW-Authenticate')).toBeTruthy()
    return body
  }

  it('RFC 7523 §3 (9): a key the client does not hold (an unknown kid, or no kid and no key that verifies)', async () => {
    const [held, stranger] = [await signingKey(), await signingKey()]
    const app = await keyClient(held)
    await refused(await clientCredentials(await assertion(app.clientId, stranger)))
    const sameKidOtherKey = { ...stranger, kid: held.kid }
    await refused(await clientCredentials(await assertion(app.clientId, sameKidOtherKey)))
  })

  it('RFC 7523 §3 (9): a bad signature', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const [header, payload, signature] = (await assertion(app.clientId, key)).split('.')
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`
    await refused(await clientCredentials(`${header}.${payload}.${flipped}`))
    const other = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
    const tampered = base64url.encode(JSON.stringify({ ...other, exp: other.exp + 1 }))
    await refused(await clientCredentials(`${header}.${tampered}.${signature}`))
  })

  it('RFC 7518 §3.6 / RFC 7523 §3: alg none, and HMAC (a key only the client holds must sign)', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: app.clientId, sub: app.clientId, aud: ORIGIN, exp: now + 60, jti: crypto.randomUUID() }
    const none = await refused(await clientCredentials(unsecured(claims)))
    expect(none.error_description).toContain('alg')
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!!'))
    expect((await refused(await clientCredentials(hmac))).error_description).toContain('alg')
  })

  it('RFC 7523 §3 (4): exp missing, past, or unreasonably far in the future', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const now = Math.floor(Date.now() / 1000)
    expect(
      (await refused(await clientCredentials(await assertion(app.clientId, key, { exp: undefined }))))
        .error_description,
    ).toContain('exp')
    await refused(await clientCredentials(await assertion(app.clientId, key, { exp: now - 1 })))
    await refused(await clientCredentials(await assertion(app.clientId, key, { exp: now + 7200 })))
  })

  it('RFC 7523 §3 (5): nbf in the future', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const now = Math.floor(Date.now() / 1000)
    await refused(await clientCredentials(await assertion(app.clientId, key, { nbf: now + 600, exp: now + 900 })))
  })

  it('RFC 7523 §3 (1), (2) / §2.2: iss and sub must both be the client_id', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const other = await keyClient(key)
    await refused(await clientCredentials(await assertion(app.clientId, key, { iss: other.clientId })))
    await refused(await clientCredentials(await assertion(app.clientId, key, { iss: undefined })))
    await refused(await clientCredentials(await assertion(app.clientId, key, { sub: other.clientId })))
    await refused(await clientCredentials(await assertion(app.clientId, key, { sub: undefined })))
  })

  it('RFC 7523 §3 (3): an aud that is neither the issuer nor the token endpoint URL, or no aud', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    for (const aud of [
      'https://other.example',
      `${ORIGIN}/o/introspect/`,
      `${ORIGIN}/`,
      ['https://other.example'],
      undefined,
    ]) {
      await refused(await clientCredentials(await assertion(app.clientId, key, { aud })))
    }
  })

  it('OIDC Core §9 / RFC 7523 §3 (7): a missing jti, and a replayed one (across requests and at once)', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    expect(
      (await refused(await clientCredentials(await assertion(app.clientId, key, { jti: undefined }))))
        .error_description,
    ).toContain('jti')
    const once = await assertion(app.clientId, key)
    expect((await clientCredentials(once)).status).toBe(200)
    expect((await refused(await clientCredentials(once))).error_description).toContain('used')
    // Replayed at another endpoint: still the same one-time assertion.
    await refused(await post('/o/introspect/', { token: 'x', ...asBody(once) }))
    // Raced: exactly one of the copies authenticates.
    const raced = await assertion(app.clientId, key)
    const responses = await Promise.all(Array.from({ length: 10 }, () => clientCredentials(raced)))
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1)
  })

  it('RFC 7521 §4.2: client_assertion_type missing (invalid_request) or another type (invalid_client)', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const signed = await assertion(app.clientId, key)
    await refused(
      await post('/o/token/', { grant_type: 'client_credentials', client_assertion: signed }),
      400,
      'invalid_request',
    )
    await refused(
      await post('/o/token/', {
        grant_type: 'client_credentials',
        client_assertion: signed,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      }),
    )
  })

  it('RFC 7521 §4.2: a client_id that names another client than the assertion', async () => {
    const key = await signingKey()
    const [app, other] = [await keyClient(key), await keyClient(key)]
    await refused(await clientCredentials(await assertion(app.clientId, key), { client_id: other.clientId }))
  })

  it('RFC 6749 §2.3: one method only (an assertion with a client_secret or Basic credentials is invalid_request)', async () => {
    const key = await signingKey()
    const app = await keyClient(key, { clientSecret: 'a-secret-that-is-long-enough-for-the-rules-0123' })
    await refused(
      await clientCredentials(await assertion(app.clientId, key), { client_secret: app.clientSecret ?? '' }),
      400,
      'invalid_request',
    )
    const withBasic = await post(
      '/o/token/',
      { grant_type: 'client_credentials', ...asBody(await assertion(app.clientId, key)) },
      { Authorization: basic(app.clientId, app.clientSecret ?? '') },
    )
    await refused(withBasic, 400, 'invalid_request')
  })

  it('a client without keys, a public client, a malformed assertion, a client that registered another method', async () => {
    const key = await signingKey()
    const secretOnly = await makeApplication({ grantTypes: ['client-credentials'] })
    await refused(await clientCredentials(await assertion(secretOnly.clientId, key)))
    const publicClient = await makeApplication({
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: [REDIRECT_URI],
    })
    await refused(await clientCredentials(await assertion(publicClient.clientId, key)))
    await refused(await clientCredentials('not-a-jwt'))
    await refused(await clientCredentials(`${base64url.encode('{')}.e30.sig`))
    const registeredForSecrets = await makeApplication({
      grantTypes: ['client-credentials'],
      jwks: keySet(key),
      registration: {
        registrationTokenHash: null,
        tokenEndpointAuthMethod: 'client_secret_basic',
        applicationType: null,
        registeredScope: null,
      },
    })
    await refused(await clientCredentials(await assertion(registeredForSecrets.clientId, key)))
  })

  it('a client holding only a key has no secret to authenticate with', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    await refused(
      await post('/o/token/', { grant_type: 'client_credentials' }, { Authorization: basic(app.clientId, '') }),
    )
    await refused(
      await post('/o/token/', { grant_type: 'client_credentials', client_id: app.clientId, client_secret: '' }),
    )
  })
})

describe('jwks_uri: fetched under the SSRF rules, cached, refreshed on an unknown kid', () => {
  it('fetched once, then served from the cache; a new kid fetches it again (once a cooldown has passed)', async () => {
    const [first, rotated] = [await signingKey(), await signingKey()]
    const url = jwksUrl()
    const documents: Record<string, unknown> = { [url]: keySet(first) }
    const fetched = serve(documents, { 'Cache-Control': 'max-age=3600' })
    const app = await makeApplication({ grantTypes: ['client-credentials'], clientSecret: null, jwksUri: url })
    vi.useFakeTimers({ toFake: ['Date'] })
    expect((await clientCredentials(await assertion(app.clientId, first))).status).toBe(200)
    expect((await clientCredentials(await assertion(app.clientId, first))).status).toBe(200)
    expect(fetched).toEqual([url])

    // The client rotates its keys: an assertion by the new key names a kid the cached set lacks.
    documents[url] = keySet(first, rotated)
    vi.setSystemTime(Date.now() + 120_000)
    expect((await clientCredentials(await assertion(app.clientId, rotated))).status).toBe(200)
    expect(fetched).toEqual([url, url])
    // Within the cooldown, unknown kids do not make it fetch again (a stranger cannot make it fetch at will).
    const stranger = await signingKey()
    await expectOAuthError(await clientCredentials(await assertion(app.clientId, stranger)), 401, 'invalid_client')
    expect(fetched).toEqual([url, url])
  })

  it('a jwks_uri that cannot be used: 404, a redirect, not JSON, a private key in it', async () => {
    const key = await signingKey()
    for (const respond of [
      () => new Response(null, { status: 404 }),
      () => new Response(null, { status: 302, headers: { Location: 'https://127.0.0.1/jwks' } }),
      () => new Response('<html>', { headers: { 'Content-Type': 'text/html' } }),
    ]) {
      vi.stubGlobal('fetch', async () => respond())
      const app = await makeApplication({ grantTypes: ['client-credentials'], clientSecret: null, jwksUri: jwksUrl() })
      const body = await expectOAuthError(
        await clientCredentials(await assertion(app.clientId, key)),
        401,
        'invalid_client',
      )
      expect(body.error_description).toContain('jwks_uri')
    }
    const url = jwksUrl()
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    serve({ [url]: { keys: [{ ...(await exportJWK(privateKey)), kid: key.kid }] } })
    const leaky = await makeApplication({ grantTypes: ['client-credentials'], clientSecret: null, jwksUri: url })
    await expectOAuthError(await clientCredentials(await assertion(leaky.clientId, key)), 401, 'invalid_client')
  })

  it('never fetched from a private address or from this server', async () => {
    const key = await signingKey()
    const fetched = serve({})
    for (const uri of [
      'https://127.0.0.1/jwks.json',
      'https://10.0.0.1/jwks.json',
      `${ORIGIN}/o/.well-known/jwks.json`,
    ]) {
      const app = await makeApplication({ grantTypes: ['client-credentials'], clientSecret: null, jwksUri: uri })
      await expectOAuthError(await clientCredentials(await assertion(app.clientId, key)), 401, 'invalid_client')
    }
    expect(fetched).toEqual([])
  })
})

describe('the replay store', () => {
  it('an assertion’s jti is kept until its exp, then deleted by the cron cleanup', async () => {
    const key = await signingKey()
    const app = await keyClient(key)
    const jti = crypto.randomUUID()
    const now = Math.floor(Date.now() / 1000)
    expect((await clientCredentials(await assertion(app.clientId, key, { jti, exp: now + 30 }))).status).toBe(200)
    const rows = await db
      .select()
      .from(usedJtis)
      .where(eq(usedJtis.expiresAt, now + 30))
    expect(rows.length).toBeGreaterThanOrEqual(1)
    // Nothing of the assertion is stored but a digest.
    expect(JSON.stringify(rows)).not.toContain(jti)
    await clearExpiredTokens(db, undefined, now + 31)
    expect(
      await db
        .select()
        .from(usedJtis)
        .where(eq(usedJtis.expiresAt, now + 30)),
    ).toEqual([])
  })
})

describe('metadata (RFC 8414 §2)', () => {
  it('lists private_key_jwt and the signing algorithms at the token, revocation and introspection endpoints', async () => {
    const metadata = await (await getPage('/.well-known/openid-configuration')).json<Record<string, string[]>>()
    for (const endpoint of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
      expect(metadata[`${endpoint}_auth_methods_supported`]).toContain('private_key_jwt')
      const algorithms = metadata[`${endpoint}_auth_signing_alg_values_supported`]
      expect(algorithms).toContain('ES256')
      expect(algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))).toBe(false)
    }
  })
})

describe('keys by dynamic registration (RFC 7591 §2: token_endpoint_auth_method private_key_jwt)', () => {
  const OPEN = { CLIENT_REGISTRATION: 'open' }
  const register = (metadata: Record<string, unknown>) =>
    fetchWithSettings(
      new Request(`${ORIGIN}/o/register/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'private_key_jwt',
          ...metadata,
        }),
      }),
      OPEN,
    )

  it('with jwks: no client_secret is issued; the client information echoes the keys; the client authenticates', async () => {
    const key = await signingKey()
    const response = await register({ jwks: keySet(key) })
    expect(response.status).toBe(201)
    const client = await response.json<Record<string, unknown> & { client_id: string }>()
    expect(client).not.toHaveProperty('client_secret')
    expect(client).not.toHaveProperty('client_secret_expires_at')
    expect(client.token_endpoint_auth_method).toBe('private_key_jwt')
    expect(client.jwks).toEqual(keySet(key))
    const row = await db.select().from(applications).where(eq(applications.clientId, client.client_id)).get()
    expect(row?.clientType).toBe('confidential')
    expect(row?.clientSecretHash).toBe('')
    // The code grant, authenticated by the key.
    const user = await makeUser()
    const code = await createAuthorizationCode(testStore(), {
      applicationId: row?.id ?? 0,
      userId: user.id,
      redirectUri: REDIRECT_URI,
      scopes: ['read'],
      codeChallenge: '',
      codeChallengeMethod: '',
      nonce: '',
      authTime: Math.floor(Date.now() / 1000),
      lifetime: 60,
    })
    const issued = await post(
      '/o/token/',
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        ...asBody(await assertion(client.client_id, key)),
      },
      {},
      OPEN,
    )
    expect(issued.status).toBe(200)
  })

  it('with jwks_uri', async () => {
    const response = await register({ jwks_uri: 'https://keys.example.org/client/jwks.json' })
    expect(response.status).toBe(201)
    expect(await response.json()).toMatchObject({ jwks_uri: 'https://keys.example.org/client/jwks.json' })
  })

  it('RFC 7591 §2 / §3.2.2: refused (invalid_client_metadata) without keys, with both, with private or symmetric keys, with a jwks_uri not public https, with keys for a secret method', async () => {
    const key = await signingKey()
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const refusals: Record<string, unknown>[] = [
      {},
      { jwks: keySet(key), jwks_uri: 'https://keys.example.org/jwks.json' },
      { jwks: { keys: [await exportJWK(privateKey)] } },
      { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0LWtleS1tYXRlcmlhbC1vZi1lbm91Z2gtbGVuZ3Ro' }] } },
      { jwks: { keys: [] } },
      { jwks: 'not an object' },
      { jwks_uri: 'http://keys.example.org/jwks.json' },
      { jwks_uri: 'https://127.0.0.1/jwks.json' },
      { token_endpoint_auth_method: 'client_secret_basic', jwks: keySet(key) },
    ]
    for (const metadata of refusals) {
      await expectOAuthError(await register(metadata), 400, 'invalid_client_metadata')
    }
  })

  it('RFC 7592 §2.2: the keys can be replaced; the kind of credential cannot change', async () => {
    const [first, second] = [await signingKey(), await signingKey()]
    const client = await (await register({ jwks: keySet(first) })).json<{
      client_id: string
      registration_access_token: string
      registration_client_uri: string
    }>()
    const update = (metadata: Record<string, unknown>) =>
      fetchWithSettings(
        new Request(client.registration_client_uri, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${client.registration_access_token}` },
          body: JSON.stringify({ client_id: client.client_id, redirect_uris: [REDIRECT_URI], ...metadata }),
        }),
        OPEN,
      )
    expect((await update({ token_endpoint_auth_method: 'private_key_jwt', jwks: keySet(second) })).status).toBe(200)
    const row = await db.select().from(applications).where(eq(applications.clientId, client.client_id)).get()
    const app = { ...row, clientId: client.client_id }
    await expectOAuthError(
      await post('/o/introspect/', { token: 'x', ...asBody(await assertion(app.clientId, first)) }, {}, OPEN),
      401,
      'invalid_client',
    )
    expect(
      (await post('/o/introspect/', { token: 'x', ...asBody(await assertion(app.clientId, second)) }, {}, OPEN)).status,
    ).toBe(200)
    await expectOAuthError(
      await update({ token_endpoint_auth_method: 'client_secret_basic' }),
      400,
      'invalid_client_metadata',
    )
    await expectOAuthError(await update({ token_endpoint_auth_method: 'none' }), 400, 'invalid_client_metadata')
  })
})

describe('keys by client ID metadata document (draft-ietf-oauth-client-id-metadata-document)', () => {
  const ON = { CLIENT_ID_METADATA_DOCUMENTS: 'on' }

  it('token_endpoint_auth_method private_key_jwt with a jwks_uri: a confidential client that authenticates with assertions', async () => {
    const key = await signingKey()
    const host = `doc${Date.now().toString(36)}${++hosts}.example.org`
    const clientId = `https://${host}/oauth/client.json`
    const keysAt = `https://${host}/oauth/jwks.json`
    const fetched = serve(
      {
        [clientId]: {
          client_id: clientId,
          client_name: 'Keyed Doc Client',
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks_uri: keysAt,
        },
        [keysAt]: keySet(key),
      },
      { 'Cache-Control': 'max-age=600' },
    )
    const cookie = await login(await makeUser())
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'read',
    })
    // A confidential client: no PKCE required.
    const page = await fetchWithSettings(
      new Request(`${ORIGIN}/o/authorize/?${query}`, { headers: { Cookie: cookie } }),
      ON,
    )
    expect(page.status).toBe(200)
    const row = await db.select().from(applications).where(eq(applications.clientId, clientId)).get()
    expect(row).toMatchObject({
      clientType: 'confidential',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwksUri: keysAt,
    })
    const decision = await fetchWithSettings(
      new Request(`${ORIGIN}/o/authorize/`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ ...Object.fromEntries(query), allow: 'Approve' }),
      }),
      ON,
    )
    const code = new URL(decision.headers.get('Location') ?? '').searchParams.get('code') ?? ''
    const redeem = (clientAssertion: string) =>
      post(
        '/o/token/',
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...asBody(clientAssertion) },
        {},
        ON,
      )
    // Without a valid assertion the code is not redeemed (the client is confidential now).
    await expectOAuthError(
      await post(
        '/o/token/',
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: clientId },
        {},
        ON,
      ),
      401,
      'invalid_client',
    )
    const issued = await redeem(await assertion(clientId, key))
    expect(issued.status).toBe(200)
    expect(fetched).toEqual([clientId, keysAt])
  })
})

describe('private_key_jwt and the token endpoint’s second try on the primary', () => {
  it('RFC 7523 §3 (7): an assertion checked once is not refused as a replay when the grant re-reads the primary', async () => {
    const key = await signingKey()
    const app = await keyClient(key, { grantTypes: ['password'] })
    const user = await makeUser()
    // The user's password is set again (the same one: a new salt, a new generation, fences raised in
    // every token database) between the grant's replica read and its write: the write is refused
    // by its shard's fence and the grant runs again reading the primary.
    let changed = false
    const racing = (database: D1Database) =>
      new Proxy(database, {
        get(target, property) {
          if (property === 'batch' && !changed) {
            return async (statements: D1PreparedStatement[]) => {
              changed = true
              await setPassword(testStore(), user.id, user.plainPassword)
              return target.batch(statements)
            }
          }
          const value = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    const bindings = Object.fromEntries(
      ['DB', ...shardBindingNames(env)].map((name) => [name, racing(env[name as keyof Env] as D1Database)]),
    )
    const response = await fetchWorker(
      new Request(TOKEN_ENDPOINT, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'password',
          username: user.username,
          password: user.plainPassword,
          ...asBody(await assertion(app.clientId, key)),
        }),
      }),
      { ...env, ...bindings } as Env,
    )
    expect(changed).toBe(true)
    expect(response.status).toBe(200)
  })
})
