/**
 * DPoP (RFC 9449): proofs at the token endpoint bind the access token (and a public client's
 * refresh token) to the client's key (§5); the resources — /api/*, /mcp, /o/userinfo/ — accept
 * such a token only as `Authorization: DPoP` with a fresh proof of that key for the request (§7);
 * every refusal §4.3 lists; server nonces (§8, §9); introspection's cnf.jkt (§6.2), metadata
 * (§5.1) and dpop_bound_access_tokens (§5.2). Proofs are made with jose here, each breaking one rule.
 */
import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { base64url, exportJWK, generateKeyPair, type JWTHeaderParameters, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { currentDpopNonce, NONCE_PERIOD_SECONDS } from '../../src/crypto/dpop-nonce.ts'
import { applications, usedJtis } from '../../src/db/schema.ts'
import { issueTokensIf } from '../../src/tokens/issue.ts'
import { recordJtiUse } from '../../src/tokens/replay.ts'
import { d1QueryCount, kvReadCount } from '../counting.ts'
import { ALGS, API_DPOP_CHALLENGE, type DpopKey, dpopKey, proof } from '../dpop.ts'
import {
  authorizationCode,
  basic,
  db,
  expectOAuthError,
  fetchWithSettings,
  form,
  issueTokens,
  makeApplication,
  makeUser,
  ORIGIN,
  testStore,
  tokenDatabases,
} from '../helpers.ts'

type Settings = Record<string, string | undefined>

const TOKEN = `${ORIGIN}/o/token/`
const HELLO = `${ORIGIN}/api/hello`
const USERINFO = `${ORIGIN}/o/userinfo/`
const NOW = () => Math.floor(Date.now() / 1000)
const NONCES = { DPOP_REQUIRE_NONCE: 'true' }

function send(url: string, init: RequestInit = {}, settings: Settings = {}) {
  return fetchWithSettings(new Request(url, init), settings)
}

/** POST /o/token/ with `proofs` (each its own DPoP header line) and `body`. */
function tokenRequest(
  body: Record<string, string>,
  proofs: string[],
  headers: Record<string, string> = {},
  settings: Settings = {},
) {
  const sent = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', ...headers })
  for (const value of proofs) sent.append('DPoP', value)
  return send(TOKEN, { method: 'POST', headers: sent, body: form(body) }, settings)
}

/** A confidential client_credentials client (optionally created with `overrides`). */
async function serviceClient(overrides: Parameters<typeof makeApplication>[0] = {}) {
  const app = await makeApplication({ grantTypes: ['client-credentials'], ...overrides })
  return { app, auth: { Authorization: basic(app.clientId, app.clientSecret ?? '') } }
}

/** client_credentials with a proof of `key`: the DPoP-bound access token. */
async function boundToken(key: DpopKey, settings: Settings = {}) {
  const { auth } = await serviceClient()
  const response = await tokenRequest(
    { grant_type: 'client_credentials', scope: 'read' },
    [await proof(key, TOKEN)],
    auth,
    settings,
  )
  expect(response.status).toBe(200)
  return response.json<{ access_token: string; token_type: string; expires_in: number; scope: string }>()
}

/** An access token bound to `key`, issued straight through the token store (for a user when given). */
async function storedBoundToken(key: DpopKey, user?: { id: number; username: string }, scopes = ['read']) {
  const app = await makeApplication({ grantTypes: ['client-credentials'] })
  const issued = await issueTokens(testStore(), {
    userId: user?.id ?? null,
    username: user?.username ?? null,
    applicationId: app.id,
    clientId: app.clientId,
    scopes,
    accessLifetime: 3600,
    refreshLifetime: null,
    jkt: key.jkt,
  })
  return issued.accessToken
}

/** GET `url` with `Authorization: DPoP <token>` and the given proofs. */
function dpopGet(url: string, token: string, proofs: string[], settings: Settings = {}, scheme = 'DPoP') {
  const headers = new Headers({ Authorization: `${scheme} ${token}` })
  for (const value of proofs) headers.append('DPoP', value)
  return send(url, { headers }, settings)
}

/** A resource refusal: its status, the DPoP challenge's error, the DRF body's detail (a fragment of it). */
async function expectDpopRefusal(response: Response, error: string, detail: string, status = 401) {
  expect(response.status).toBe(status)
  const challenge = response.headers.get('WWW-Authenticate') ?? ''
  expect(challenge).toContain(`DPoP realm="api", error="${error}", algs="${ALGS}"`)
  expect(((await response.json()) as { detail: string }).detail).toContain(detail)
}

describe('RFC 9449 §5: DPoP access token requests', () => {
  it('§5: a proof binds the access token: token_type DPoP, and introspection answers cnf.jkt (§6.2)', async () => {
    const key = await dpopKey()
    const { app, auth } = await serviceClient()
    const response = await tokenRequest(
      { grant_type: 'client_credentials', scope: 'read' },
      [await proof(key, TOKEN)],
      auth,
    )
    expect(response.status).toBe(200)
    const body = await response.json<{ access_token: string; token_type: string }>()
    expect(body.token_type).toBe('DPoP')
    const introspection = await send(`${ORIGIN}/o/introspect/`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ token: body.access_token }),
    })
    expect(await introspection.json()).toMatchObject({
      active: true,
      client_id: app.clientId,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    })
  })

  it('§5: without a proof the token stays a Bearer token, with no cnf', async () => {
    const { auth } = await serviceClient()
    const response = await tokenRequest({ grant_type: 'client_credentials' }, [], auth)
    const body = await response.json<{ access_token: string; token_type: string }>()
    expect(body.token_type).toBe('Bearer')
    const introspection = await send(`${ORIGIN}/o/introspect/`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ token: body.access_token }),
    })
    const answer = await introspection.json<Record<string, unknown>>()
    expect(answer.token_type).toBe('Bearer')
    expect(answer).not.toHaveProperty('cnf')
  })

  it('§5: a public client’s refresh token is bound: refreshed only with a proof of the same key', async () => {
    const key = await dpopKey()
    const { app, params } = await authorizationCode({ clientType: 'public' })
    const issued = await tokenRequest(params, [await proof(key, TOKEN)])
    expect(issued.status).toBe(200)
    const tokens = await issued.json<{ refresh_token: string; token_type: string }>()
    expect(tokens.token_type).toBe('DPoP')
    const refresh = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.clientId }

    const withoutProof = await tokenRequest(refresh, [])
    await expectOAuthError(withoutProof, 400, 'invalid_dpop_proof')
    const otherKey = await tokenRequest(refresh, [await proof(await dpopKey(), TOKEN)])
    await expectOAuthError(otherKey, 400, 'invalid_grant')

    const refreshed = await tokenRequest(refresh, [await proof(key, TOKEN)])
    expect(refreshed.status).toBe(200)
    const next = await refreshed.json<{ access_token: string; refresh_token: string; token_type: string }>()
    expect(next.token_type).toBe('DPoP')
    // The new refresh token keeps the binding.
    const again = { ...refresh, refresh_token: next.refresh_token }
    await expectOAuthError(await tokenRequest(again, []), 400, 'invalid_dpop_proof')
    expect((await tokenRequest(again, [await proof(key, TOKEN)])).status).toBe(200)
  })

  it('§5: a confidential client’s refresh token stays bound to the client, not the key', async () => {
    const key = await dpopKey()
    const { app, params } = await authorizationCode()
    const issued = await tokenRequest(params, [await proof(key, TOKEN)])
    const tokens = await issued.json<{ refresh_token: string }>()
    const refresh = {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }
    const response = await tokenRequest(refresh, [])
    expect(response.status).toBe(200)
    expect((await response.json<{ token_type: string }>()).token_type).toBe('Bearer')
  })

  it('§5.2: a client registered with dpop_bound_access_tokens must send a proof', async () => {
    const { auth } = await serviceClient({ dpopBoundAccessTokens: true })
    const refused = await tokenRequest({ grant_type: 'client_credentials' }, [], auth)
    const body = await expectOAuthError(refused, 400, 'invalid_dpop_proof')
    expect(body.error_description).toContain('dpop_bound_access_tokens')
    const granted = await tokenRequest(
      { grant_type: 'client_credentials' },
      [await proof(await dpopKey(), TOKEN)],
      auth,
    )
    expect((await granted.json<{ token_type: string }>()).token_type).toBe('DPoP')
  })

  it('§11.1: a proof is used once at the token endpoint; a failed client authentication records nothing', async () => {
    const key = await dpopKey()
    const { app, auth } = await serviceClient()
    const once = await proof(key, TOKEN)
    const before = await db.$count(usedJtis)
    const wrongSecret = { Authorization: basic(app.clientId, 'not-the-secret') }
    await expectOAuthError(
      await tokenRequest({ grant_type: 'client_credentials' }, [once], wrongSecret),
      401,
      'invalid_client',
    )
    expect(await db.$count(usedJtis)).toBe(before)
    expect((await tokenRequest({ grant_type: 'client_credentials' }, [once], auth)).status).toBe(200)
    const replayed = await tokenRequest({ grant_type: 'client_credentials' }, [once], auth)
    const body = await expectOAuthError(replayed, 400, 'invalid_dpop_proof')
    expect(body.error_description).toContain('already used')
  })
})

/** Proofs that each break one rule of §4.3, for a request `method url` (with `accessToken` at a resource). */
async function brokenProofs(url: string, method: string, accessToken?: string) {
  const key = await dpopKey()
  const base = { method, accessToken }
  const hmac = (await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])) as CryptoKey
  // A symmetric key in the header, as a client that got it wrong would send it.
  const symmetricHeader = { alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } } as JWTHeaderParameters
  const { privateKey: otherPrivate } = await generateKeyPair('ES256', { extractable: true })
  const rsa = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 })
  const unsigned = async () => {
    const encode = (value: object) => base64url.encode(new TextEncoder().encode(JSON.stringify(value)))
    const target = new URL(url)
    const claims = { jti: crypto.randomUUID(), htm: method, htu: target.origin + target.pathname, iat: NOW() }
    return `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${encode(claims)}.`
  }
  return {
    '§4.3 (2): not a JWT': 'not.a.jwt',
    '§4.3 (4): typ is not dpop+jwt': await proof(key, url, { ...base, header: { typ: 'JWT' } }),
    'RFC 7515 §4.1.11: a crit extension': await proof(key, url, { ...base, header: { b64: true, crit: ['b64'] } }),
    '§4.3 (5): alg none': await unsigned(),
    '§4.3 (5): a symmetric alg (HS256)': await new SignJWT({
      jti: crypto.randomUUID(),
      htm: method,
      htu: url,
      iat: NOW(),
    })
      .setProtectedHeader(symmetricHeader)
      .sign(hmac),
    '§4.3 (6): signed by another key than its jwk': await proof({ ...key, privateKey: otherPrivate }, url, base),
    '§4.3 (7): a jwk with private parts': await proof(key, url, {
      ...base,
      header: { jwk: { ...key.jwk, ...(await exportJWK(key.privateKey)) } },
    }),
    '§4.3 (5): a jwk unfit for the alg': await proof(
      { alg: 'RS256', privateKey: rsa.privateKey, jwk: key.jwk, jkt: key.jkt },
      url,
      base,
    ),
    '§4.3 (3): no jti': await proof(key, url, { ...base, claims: { jti: undefined } }),
    '§4.3 (8): another method (htm)': await proof(key, url, { ...base, method: method === 'GET' ? 'POST' : 'GET' }),
    '§4.3 (9): another URL (htu)': await proof(key, url, { ...base, claims: { htu: `${ORIGIN}/elsewhere` } }),
    '§4.3 (9): another host (htu)': await proof(key, url, {
      ...base,
      claims: { htu: url.replace(ORIGIN, 'https://evil.example') },
    }),
    '§4.3 (11): iat too old': await proof(key, url, { ...base, claims: { iat: NOW() - 120 } }),
    '§4.3 (11): iat in the future': await proof(key, url, { ...base, claims: { iat: NOW() + 120 } }),
    '§4.3 (3): no iat': await proof(key, url, { ...base, claims: { iat: undefined } }),
  }
}

describe('RFC 9449 §4.3 at the token endpoint: every refused proof is 400 invalid_dpop_proof', () => {
  it('each broken rule is refused, and no token is issued', async () => {
    const { auth } = await serviceClient()
    for (const [rule, broken] of Object.entries(await brokenProofs(TOKEN, 'POST'))) {
      const response = await tokenRequest({ grant_type: 'client_credentials' }, [broken], auth)
      expect(response.status, rule).toBe(400)
      expect((await response.json<{ error: string }>()).error, rule).toBe('invalid_dpop_proof')
    }
  })

  it('§4.3 (1): two DPoP headers are refused', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const response = await tokenRequest(
      { grant_type: 'client_credentials' },
      [await proof(key, TOKEN), await proof(key, TOKEN)],
      auth,
    )
    await expectOAuthError(response, 400, 'invalid_dpop_proof')
  })

  it('§4.3 (9): the query of the URL is no part of htu; scheme and host case are normalised', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const loud = await proof(key, TOKEN, { claims: { htu: 'HTTPS://EXAMPLE.COM:443/o/token/' } })
    const response = await tokenRequest({ grant_type: 'client_credentials' }, [loud], auth)
    expect((await response.json<{ token_type: string }>()).token_type).toBe('DPoP')
  })

  it('§4.3 (5): every algorithm the metadata lists is accepted (ES256, ES384, EdDSA, PS256, RS256)', async () => {
    const { auth } = await serviceClient()
    for (const alg of ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256']) {
      const key = await dpopKey(alg)
      const response = await tokenRequest({ grant_type: 'client_credentials' }, [await proof(key, TOKEN)], auth)
      expect(response.status, alg).toBe(200)
      const { access_token, token_type } = await response.json<{ access_token: string; token_type: string }>()
      expect(token_type, alg).toBe('DPoP')
      // And at a resource, with the same key.
      const used = await dpopGet(HELLO, access_token, [
        await proof(key, HELLO, { method: 'GET', accessToken: access_token }),
      ])
      expect(used.status, alg).toBe(200)
    }
  })
})

describe('RFC 9449 §7: DPoP-bound tokens at the resources', () => {
  it('§7: /api/hello accepts Authorization: DPoP with a proof whose ath is the token’s hash', async () => {
    const key = await dpopKey()
    const { access_token } = await boundToken(key)
    const response = await dpopGet(HELLO, access_token, [
      await proof(key, HELLO, { method: 'GET', accessToken: access_token }),
    ])
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('Hello, OAuth2!')
  })

  it('§7.2: a DPoP-bound token sent as Bearer is refused, challenged with DPoP', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    const response = await dpopGet(HELLO, token, [], {}, 'Bearer')
    await expectDpopRefusal(response, 'invalid_token', 'bound to a DPoP key')
    // The other schemes follow (RFC 7235 §4.1).
    expect(response.headers.get('WWW-Authenticate')).toContain('Bearer realm="api"')
  })

  it('§7.1: an unbound token sent with the DPoP scheme is refused', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const issued = await tokenRequest({ grant_type: 'client_credentials' }, [], auth)
    const { access_token } = await issued.json<{ access_token: string }>()
    const response = await dpopGet(HELLO, access_token, [
      await proof(key, HELLO, { method: 'GET', accessToken: access_token }),
    ])
    await expectDpopRefusal(response, 'invalid_token', 'not bound')
  })

  it('§7.1: the DPoP scheme without a DPoP header is refused', async () => {
    const token = await storedBoundToken(await dpopKey())
    await expectDpopRefusal(await dpopGet(HELLO, token, []), 'invalid_dpop_proof', 'DPoP proof is required')
  })

  it('§6.1: a valid proof by another key than the token’s is refused', async () => {
    const token = await storedBoundToken(await dpopKey())
    const stranger = await dpopKey()
    const response = await dpopGet(HELLO, token, [await proof(stranger, HELLO, { method: 'GET', accessToken: token })])
    await expectDpopRefusal(response, 'invalid_token', 'not signed by the key')
  })

  it('§4.3 (12): a proof without ath, or with another token’s, is refused', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    const other = await storedBoundToken(key)
    await expectDpopRefusal(
      await dpopGet(HELLO, token, [await proof(key, HELLO, { method: 'GET' })]),
      'invalid_dpop_proof',
      'no ath',
    )
    const wrongAth = await proof(key, HELLO, { method: 'GET', accessToken: other })
    await expectDpopRefusal(await dpopGet(HELLO, token, [wrongAth]), 'invalid_dpop_proof', 'ath is not the hash')
  })

  it('§4.3: every broken rule is refused with 401 invalid_dpop_proof', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    for (const [rule, broken] of Object.entries(await brokenProofs(HELLO, 'GET', token))) {
      const response = await dpopGet(HELLO, token, [broken])
      expect(response.status, rule).toBe(401)
      expect(response.headers.get('WWW-Authenticate'), rule).toContain('DPoP realm="api", error="invalid_dpop_proof"')
    }
  })

  it('§11.1: a proof replayed is refused (invalid_dpop_proof), even at once', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    const once = await proof(key, HELLO, { method: 'GET', accessToken: token })
    const [first, second] = await Promise.all([dpopGet(HELLO, token, [once]), dpopGet(HELLO, token, [once])])
    expect([first.status, second.status].sort()).toEqual([200, 401])
    await expectDpopRefusal(await dpopGet(HELLO, token, [once]), 'invalid_dpop_proof', 'already used')
  })

  it('§11.1: DPOP_REPLAY_CHECK=shared refuses a proof another isolate recorded (in D1); the default (isolate) does not look there', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    const seenElsewhere = async () => {
      const jti = crypto.randomUUID()
      await recordJtiUse(db, { purpose: 'dpop_proof', issuer: `${key.jkt} ${HELLO}`, jti, expiresAt: NOW() + 61 })
      return proof(key, HELLO, { method: 'GET', accessToken: token, claims: { jti } })
    }
    const shared = { DPOP_REPLAY_CHECK: 'shared' }
    await expectDpopRefusal(
      await dpopGet(HELLO, token, [await seenElsewhere()], shared),
      'invalid_dpop_proof',
      'already used',
    )
    // The default: this isolate's memory only, no I/O.
    expect((await dpopGet(HELLO, token, [await seenElsewhere()])).status).toBe(200)
  })

  it('§7.1: every 401 of the API lists the DPoP challenge with its algs', async () => {
    const response = await send(HELLO)
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toContain(API_DPOP_CHALLENGE)
  })

  it('§7.1: a DPoP header with no credentials is a 400 invalid_request, challenged with DPoP', async () => {
    const response = await send(HELLO, { headers: { Authorization: 'DPoP' } })
    await expectDpopRefusal(response, 'invalid_request', 'No credentials', 400)
  })

  it('§4.3 (9): the request’s query is no part of htu', async () => {
    const key = await dpopKey()
    const user = await makeUser()
    const token = await storedBoundToken(key, user)
    const url = `${ORIGIN}/api/users/?page=1`
    const response = await dpopGet(url, token, [await proof(key, url, { method: 'GET', accessToken: token })])
    expect(response.status).toBe(200)
  })

  it('RFC 8707: a bound token minted for another resource is refused at /api', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const issued = await tokenRequest(
      { grant_type: 'client_credentials', resource: `${ORIGIN}/mcp` },
      [await proof(key, TOKEN)],
      auth,
    )
    const { access_token } = await issued.json<{ access_token: string }>()
    const response = await dpopGet(HELLO, access_token, [
      await proof(key, HELLO, { method: 'GET', accessToken: access_token }),
    ])
    await expectDpopRefusal(response, 'invalid_token', 'not issued for this resource')
  })

  it('/mcp accepts a DPoP-bound token with its proof, and refuses it as Bearer', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const issued = await tokenRequest(
      { grant_type: 'client_credentials', resource: `${ORIGIN}/mcp`, scope: 'read' },
      [await proof(key, TOKEN)],
      auth,
    )
    const { access_token } = await issued.json<{ access_token: string }>()
    const mcp = `${ORIGIN}/mcp`
    const call = async (authorization: string, proofs: string[]) =>
      send(mcp, {
        method: 'POST',
        headers: {
          Authorization: authorization,
          Accept: 'application/json, text/event-stream',
          'Content-Type': 'application/json',
          'MCP-Protocol-Version': '2025-06-18',
          ...(proofs.length ? { DPoP: proofs[0] } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
    const accepted = await call(`DPoP ${access_token}`, [await proof(key, mcp, { accessToken: access_token })])
    expect(accepted.status).toBe(200)
    const asBearer = await call(`Bearer ${access_token}`, [])
    expect(asBearer.status).toBe(401)
    expect(asBearer.headers.get('WWW-Authenticate')).toContain('DPoP realm="mcp", error="invalid_token"')
  })

  it('/o/userinfo/ accepts a DPoP-bound token with its proof; as Bearer it is refused with a DPoP challenge', async () => {
    const key = await dpopKey()
    const user = await makeUser()
    const token = await storedBoundToken(key, user, ['openid'])
    const accepted = await dpopGet(USERINFO, token, [await proof(key, USERINFO, { method: 'GET', accessToken: token })])
    expect(accepted.status).toBe(200)
    expect(await accepted.json()).toEqual({ sub: String(user.id) })
    const asBearer = await dpopGet(USERINFO, token, [], {}, 'Bearer')
    await expectOAuthError(asBearer, 401, 'invalid_token')
    expect(asBearer.headers.get('WWW-Authenticate')).toBe(`DPoP error="invalid_token", algs="${ALGS}"`)
    const wrongMethod = await dpopGet(USERINFO, token, [
      await proof(key, USERINFO, { method: 'POST', accessToken: token }),
    ])
    await expectOAuthError(wrongMethod, 401, 'invalid_dpop_proof')
  })

  it('the hot path: a cached bound token costs no D1 query and no KV read with DPOP_REPLAY_CHECK=isolate, one D1 write with shared', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    const cached = { TOKEN_MEMORY_CACHE_SECONDS: '60' }
    const call = async (settings: Settings) => {
      const [queries, reads] = [d1QueryCount(), kvReadCount()]
      const response = await dpopGet(
        HELLO,
        token,
        [await proof(key, HELLO, { method: 'GET', accessToken: token })],
        settings,
      )
      expect(response.status).toBe(200)
      return { d1: d1QueryCount() - queries, kvReads: kvReadCount() - reads }
    }
    const isolate = { ...cached, DPOP_REPLAY_CHECK: 'isolate' }
    await call(isolate)
    expect(await call(isolate)).toEqual({ d1: 0, kvReads: 0 })
    const shared = { ...cached, DPOP_REPLAY_CHECK: 'shared' }
    await call(shared)
    expect(await call(shared)).toEqual({ d1: 1, kvReads: 0 })
  })
})

describe('RFC 9449 §8, §9: server nonces (DPOP_REQUIRE_NONCE)', () => {
  it('§8: the token endpoint asks for a nonce (400 use_dpop_nonce, DPoP-Nonce); the retry with it succeeds', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const first = await tokenRequest({ grant_type: 'client_credentials' }, [await proof(key, TOKEN)], auth, NONCES)
    await expectOAuthError(first, 400, 'use_dpop_nonce')
    const nonce = first.headers.get('DPoP-Nonce') ?? ''
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
    const retry = await tokenRequest(
      { grant_type: 'client_credentials' },
      [await proof(key, TOKEN, { nonce })],
      auth,
      NONCES,
    )
    expect(retry.status).toBe(200)
    expect(retry.headers.get('DPoP-Nonce')).toBeNull()
  })

  it('§8: a nonce not made by this server, or two periods old, is refused; the previous period’s is accepted and replaced (§8.2)', async () => {
    const key = await dpopKey()
    const { auth } = await serviceClient()
    const request = async (nonce: string) =>
      tokenRequest({ grant_type: 'client_credentials' }, [await proof(key, TOKEN, { nonce })], auth, NONCES)
    await expectOAuthError(await request('made-up-nonce'), 400, 'use_dpop_nonce')
    const stale = await currentDpopNonce(env.SECRET_KEY, NOW() - 2 * NONCE_PERIOD_SECONDS)
    await expectOAuthError(await request(stale), 400, 'use_dpop_nonce')
    const previous = await currentDpopNonce(env.SECRET_KEY, NOW() - NONCE_PERIOD_SECONDS)
    const accepted = await request(previous)
    expect(accepted.status).toBe(200)
    expect(accepted.headers.get('DPoP-Nonce')).toBe(await currentDpopNonce(env.SECRET_KEY, NOW()))
  })

  it('§9: a resource asks for a nonce with 401 DPoP error="use_dpop_nonce" and DPoP-Nonce', async () => {
    const key = await dpopKey()
    const token = await storedBoundToken(key)
    const first = await dpopGet(HELLO, token, [await proof(key, HELLO, { method: 'GET', accessToken: token })], NONCES)
    await expectDpopRefusal(first, 'use_dpop_nonce', 'nonce')
    const nonce = first.headers.get('DPoP-Nonce') ?? ''
    const retry = await dpopGet(
      HELLO,
      token,
      [await proof(key, HELLO, { method: 'GET', accessToken: token, nonce })],
      NONCES,
    )
    expect(retry.status).toBe(200)
  })
})

describe('RFC 9449 §5.1, §5.2: metadata and registration', () => {
  it('§5.1: the authorization server metadata lists dpop_signing_alg_values_supported (asymmetric only)', async () => {
    const metadata = await (await send(`${ORIGIN}/.well-known/oauth-authorization-server`)).json<
      Record<string, string[]>
    >()
    expect(metadata.dpop_signing_alg_values_supported).toEqual(ALGS.split(' '))
    expect(metadata.dpop_signing_alg_values_supported.some((alg) => alg === 'none' || alg.startsWith('HS'))).toBe(false)
  })

  it('§5.2: dynamic registration takes dpop_bound_access_tokens, echoes it, and the client must then send proofs', async () => {
    const settings = { CLIENT_REGISTRATION: 'open' }
    const register = (metadata: Record<string, unknown>) =>
      send(
        `${ORIGIN}/o/register/`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['https://client.example.com/cb'], ...metadata }),
        },
        settings,
      )
    const refused = await register({ dpop_bound_access_tokens: 'yes' })
    await expectOAuthError(refused, 400, 'invalid_client_metadata')
    const registered = await register({ dpop_bound_access_tokens: true })
    expect(registered.status).toBe(201)
    const client = await registered.json<{ client_id: string; dpop_bound_access_tokens?: boolean }>()
    expect(client.dpop_bound_access_tokens).toBe(true)
    const plain = await (await register({})).json<Record<string, unknown>>()
    expect(plain).not.toHaveProperty('dpop_bound_access_tokens')
    const row = await db.select().from(applications).where(eq(applications.clientId, client.client_id)).get()
    expect(row?.dpopBoundAccessTokens).toBe(true)
  })

  it('§5.2: requiring DPoP in a registration update raises the client’s fence in every token shard: a grant that read it before writes no Bearer token', async () => {
    const settings = { CLIENT_REGISTRATION: 'open' }
    const metadata = { redirect_uris: ['https://client.example.com/cb'], token_endpoint_auth_method: 'none' }
    const registered = await send(
      `${ORIGIN}/o/register/`,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(metadata) },
      settings,
    )
    const client = await registered.json<{
      client_id: string
      registration_client_uri: string
      registration_access_token: string
    }>()
    const byClientId = eq(applications.clientId, client.client_id)
    // What a grant read from a replica that has not seen the update yet.
    const read = await db.select().from(applications).where(byClientId).get()
    if (!read) throw new Error('not registered')
    const updated = await send(
      client.registration_client_uri,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${client.registration_access_token}` },
        body: JSON.stringify({ ...metadata, client_id: client.client_id, dpop_bound_access_tokens: true }),
      },
      settings,
    )
    expect(updated.status).toBe(200)
    const now = await db.select().from(applications).where(byClientId).get()
    expect(now?.dpopBoundAccessTokens).toBe(true)
    expect(now?.generation).toBe(read.generation + 1)
    for (const { shard } of tokenDatabases()) {
      const grant = {
        userId: null,
        username: null,
        applicationId: read.id,
        clientId: read.clientId,
        scopes: ['read'],
        accessLifetime: 60,
        refreshLifetime: null,
      }
      // The stale read's write (a plain Bearer token) is refused by the shard; the current row's is not.
      expect(await issueTokensIf(testStore(shard), grant, { application: read }), `shard ${shard}`).toBeNull()
      if (!now) throw new Error('gone')
      expect(await issueTokensIf(testStore(shard), grant, { application: now }), `shard ${shard}`).not.toBeNull()
    }
  })
})
