/**
 * The jwt-bearer grant (RFC 7523 §2.1) with an ID-JAG (draft-ietf-oauth-identity-assertion-authz-
 * grant-03 §4.4, MCP enterprise-managed authorization §5): a confidential client allowed the
 * grant presents an ID-JAG a trusted identity provider signed (here a test IdP's own key) and gets
 * an access token bound to the ID-JAG's resource for the user its claims name, without a consent
 * page. Every malformed, misdirected or replayed ID-JAG the drafts list is refused, each one by
 * its own test. Identity providers are trusted through the domain function the CLI calls.
 */
import { env } from 'cloudflare:test'
import { base64url, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OPERATOR } from '../../src/accounts/rights.ts'
import { createUser } from '../../src/accounts/users.ts'
import { JWT_BEARER_GRANT } from '../../src/db/schema.ts'
import { distrustIdentityProvider, trustIdentityProvider } from '../../src/oauth/id-jag/trusted-idps.ts'
import { dpopKey, proof } from '../dpop.ts'
import {
  api,
  basic,
  db,
  expectOAuthError,
  fetchWorker,
  form,
  getPage,
  hello,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  postToken,
  RACERS,
  unique,
} from '../helpers.ts'

const MCP_RESOURCE = `${ORIGIN}/mcp`
const API_RESOURCE = `${ORIGIN}/api`
const ID_JAG_TYP = 'oauth-id-jag+jwt'

type Claims = Record<string, unknown>
type Key = { alg: string; kid: string; privateKey: CryptoKey; jwk: JWK }
type Idp = { issuer: string; key: Key }

async function signingKey(alg = 'ES256'): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const kid = unique('kid')
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

let idps = 0
const newIssuer = () => `https://idp${Date.now().toString(36)}${++idps}.example.org`

/** A test IdP trusted here with its key inline, users matched by `rule` (default: email). */
async function trustedIdp(rule: { userClaim?: string; userField?: 'email' | 'username' } = {}): Promise<Idp> {
  const key = await signingKey()
  const issuer = newIssuer()
  await trustIdentityProvider(db, OPERATOR, { issuer, keys: { jwks: { keys: [key.jwk] } }, ...rule })
  return { issuer, key }
}

/** A user whose e-mail address is theirs alone. */
async function employee(overrides: { isActive?: boolean } = {}) {
  const username = unique('emp')
  const user = await createUser(db, {
    username,
    email: `${username}@corp.example`,
    password: 'correct horse battery staple',
  })
  if (overrides.isActive === false) {
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.id).run()
  }
  return user
}

/** A confidential client allowed the jwt-bearer grant. */
const enterpriseClient = (overrides: Parameters<typeof makeApplication>[0] = {}) =>
  makeApplication({ name: 'Enterprise MCP client', grantTypes: [JWT_BEARER_GRANT], ...overrides })

type Client = { clientId: string; clientSecret: string | null }

/** The ID-JAG `idp` issues for `client` and `user` (§3.1's claims); `claims` change or (undefined) drop claims. */
async function idJag(idp: Idp, client: Client, user: { email: string }, claims: Claims = {}, header: Claims = {}) {
  const now = Math.floor(Date.now() / 1000)
  const payload: Claims = {
    iss: idp.issuer,
    sub: unique('U'),
    aud: ORIGIN,
    client_id: client.clientId,
    jti: crypto.randomUUID(),
    exp: now + 300,
    iat: now,
    resource: MCP_RESOURCE,
    scope: 'read',
    email: user.email,
    ...claims,
  }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  return new SignJWT(payload)
    .setProtectedHeader({ alg: idp.key.alg, kid: idp.key.kid, typ: ID_JAG_TYP, ...header })
    .sign(idp.key.privateKey)
}

/** RFC 7523 §2.1: the token request presenting `assertion`, the client authenticating by HTTP Basic. */
function present(client: Client, assertion: string, extra: Record<string, string> = {}, dpop?: string) {
  return postToken(form({ grant_type: JWT_BEARER_GRANT, assertion, ...extra }), {
    Authorization: basic(client.clientId, client.clientSecret ?? ''),
    ...(dpop === undefined ? {} : { DPoP: dpop }),
  })
}

/** A trusted IdP, an enterprise client and a user: what most tests start from. */
async function setting(rule?: Parameters<typeof trustedIdp>[0]) {
  return { idp: await trustedIdp(rule), client: await enterpriseClient(), user: await employee() }
}

/** RFC 7662 as a designated resource server sees the token. */
async function introspect(token: string) {
  const server = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
  const response = await fetchWorker(
    new Request(`${ORIGIN}/o/introspect/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(server.clientId, server.clientSecret ?? ''),
      },
      body: form({ token }),
    }),
  )
  return response.json<Record<string, unknown>>()
}

async function auditRows(action: string, objectType: string) {
  const { results } = await env.DB.prepare(
    'SELECT actor_id, actor_username, object_id, message FROM audit_log WHERE action = ? AND object_type = ? ORDER BY id',
  )
    .bind(action, objectType)
    .all<{ actor_id: number | null; actor_username: string; object_id: string; message: string }>()
  return results
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('an ID-JAG from a trusted identity provider becomes an access token (draft §4.4, MCP §5)', () => {
  it('for the user its email names, bound to its resource (/mcp), with its scope, no refresh token, audited', async () => {
    const { idp, client, user } = await setting()
    const assertion = await idJag(idp, client, user, { scope: 'read write' })
    const response = await present(client, assertion)
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<Record<string, unknown>>()
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 86400,
      scope: 'read write',
    })
    // §4.4.3: "SHOULD NOT return a Refresh Token".
    expect(body.refresh_token).toBeUndefined()
    const token = body.access_token as string
    const introspected = await introspect(token)
    expect(introspected).toMatchObject({
      active: true,
      username: user.username,
      client_id: client.clientId,
      scope: 'read write',
      aud: MCP_RESOURCE,
    })
    // RFC 8707: bound to /mcp, so the API refuses it.
    expect((await hello(token)).status).toBe(401)
    const [row] = (await auditRows('id_jag.redeem', 'token')).filter((entry) => entry.message.includes(idp.issuer))
    expect(row).toMatchObject({ actor_id: user.id, actor_username: user.username })
    expect(row.message).toContain(client.clientId)
    expect(row.message).toContain(MCP_RESOURCE)
  })

  it('RFC 9449 §5: with a DPoP proof the access token is bound to its key (token_type DPoP, cnf.jkt)', async () => {
    const { idp, client, user } = await setting()
    const key = await dpopKey()
    const response = await present(client, await idJag(idp, client, user), {}, await proof(key, `${ORIGIN}/o/token/`))
    expect(response.status).toBe(200)
    const body = await response.json<{ access_token: string; token_type: string }>()
    expect(body.token_type).toBe('DPoP')
    expect(await introspect(body.access_token)).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    })
  })

  it('the ID-JAG’s aud may be an array holding only this issuer (§4.4.1); typ with application/ and any case (RFC 7515 §4.1.9)', async () => {
    const { idp, client, user } = await setting()
    expect((await present(client, await idJag(idp, client, user, { aud: [ORIGIN] }))).status).toBe(200)
    const typed = await idJag(idp, client, user, {}, { typ: 'application/OAUTH-ID-JAG+JWT' })
    expect((await present(client, typed)).status).toBe(200)
  })

  it('several resources in the ID-JAG: the token is for all of them; a resource parameter narrows it (RFC 8707 §2.2)', async () => {
    const { idp, client, user } = await setting()
    const both = { resource: [MCP_RESOURCE, API_RESOURCE] }
    const wide = await (await present(client, await idJag(idp, client, user, both))).json<{ access_token: string }>()
    expect((await introspect(wide.access_token)).aud).toEqual([MCP_RESOURCE, API_RESOURCE])
    expect((await hello(wide.access_token)).status).toBe(200)
    const narrowed = await present(client, await idJag(idp, client, user, both), { resource: API_RESOURCE })
    const { access_token } = await narrowed.json<{ access_token: string }>()
    expect((await introspect(access_token)).aud).toBe(API_RESOURCE)
  })

  it('a scope parameter asks for part of the ID-JAG’s scope; scopes not offered here are left out', async () => {
    const { idp, client, user } = await setting()
    const part = await present(client, await idJag(idp, client, user, { scope: 'read write' }), { scope: 'read' })
    expect((await part.json<{ scope: string }>()).scope).toBe('read')
    const foreign = await present(client, await idJag(idp, client, user, { scope: 'read chat.history' }))
    expect((await foreign.json<{ scope: string }>()).scope).toBe('read')
  })

  it('an ID-JAG without scope: the scope the client asks for, by the usual rules (DEFAULT_SCOPES when none)', async () => {
    const { idp, client, user } = await setting()
    const plain = await present(client, await idJag(idp, client, user, { scope: undefined }))
    expect((await plain.json<{ scope: string }>()).scope).toBe('read write groups')
    const asked = await present(client, await idJag(idp, client, user, { scope: undefined }), { scope: 'write' })
    expect((await asked.json<{ scope: string }>()).scope).toBe('write')
  })

  it('users matched by a configured claim and their username: preferred_username → username', async () => {
    const { idp, client, user } = await setting({ userClaim: 'preferred_username', userField: 'username' })
    const assertion = await idJag(idp, client, user, { email: undefined, preferred_username: user.username })
    const { access_token } = await (await present(client, assertion)).json<{ access_token: string }>()
    expect((await introspect(access_token)).username).toBe(user.username)
  })

  it('an identity provider’s keys at a jwks_uri: fetched, kept, and fetched again for a kid it did not have', async () => {
    const [first, rotated] = [await signingKey(), await signingKey()]
    const issuer = newIssuer()
    const jwksUri = `${issuer}/jwks.json`
    await trustIdentityProvider(db, OPERATOR, { issuer, keys: { jwksUri } })
    let published = [first.jwk]
    const fetched: string[] = []
    vi.stubGlobal('fetch', async (input: string | URL | Request) => {
      const url = input instanceof Request ? input.url : String(input)
      fetched.push(url)
      return url === jwksUri
        ? new Response(JSON.stringify({ keys: published }), { headers: { 'Content-Type': 'application/json' } })
        : new Response(null, { status: 404 })
    })
    const client = await enterpriseClient()
    const user = await employee()
    expect((await present(client, await idJag({ issuer, key: first }, client, user))).status).toBe(200)
    expect((await present(client, await idJag({ issuer, key: first }, client, user))).status).toBe(200)
    expect(fetched).toEqual([jwksUri])
    // The provider rotates; its next ID-JAG names a kid the kept set lacks.
    published = [rotated.jwk]
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] })
    try {
      expect((await present(client, await idJag({ issuer, key: rotated }, client, user))).status).toBe(200)
    } finally {
      vi.useRealTimers()
    }
    expect(fetched).toEqual([jwksUri, jwksUri])
  })

  it('metadata (draft §7.2): the jwt-bearer grant and the ID-JAG profile; no identity provider is named (§8.4)', async () => {
    const { idp } = await setting()
    const response = await getPage('/.well-known/oauth-authorization-server')
    const text = await response.text()
    const metadata = JSON.parse(text) as Record<string, string[]>
    expect(metadata.grant_types_supported).toContain(JWT_BEARER_GRANT)
    expect(metadata.authorization_grant_profiles_supported).toEqual(['urn:ietf:params:oauth:grant-profile:id-jag'])
    expect(text).not.toContain(idp.issuer)
  })
})

describe('who may allow the grant: a superuser’s decision (SECURITY.md), as skip_authorization', () => {
  it('an owner may neither register an application with it nor add it to theirs (management API: 403)', async () => {
    const cookie = await login(await makeUser())
    const app = { name: 'Mine', client_type: 'confidential', redirect_uris: ['https://mine.example/cb'] }
    const refused = await api('/o/applications/', {
      cookie,
      json: { ...app, authorization_grant_type: ['client-credentials', JWT_BEARER_GRANT] },
    })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toEqual({ detail: expect.stringMatching(/jwt-bearer/) })
    const created = await api('/o/applications/', {
      cookie,
      json: { ...app, authorization_grant_type: ['client-credentials'] },
    })
    const { id } = await created.json<{ id: number }>()
    const patch = await api(`/o/applications/${id}/`, {
      method: 'PATCH',
      cookie,
      json: { authorization_grant_type: ['client-credentials', JWT_BEARER_GRANT] },
    })
    expect(patch.status).toBe(403)
  })
})

describe('refused: the client (RFC 7521 §4.1, draft §8.1)', () => {
  it('invalid_request without an assertion', async () => {
    const client = await enterpriseClient()
    const response = await postToken(form({ grant_type: JWT_BEARER_GRANT }), {
      Authorization: basic(client.clientId, client.clientSecret ?? ''),
    })
    await expectOAuthError(response, 400, 'invalid_request')
  })

  it('invalid_client: a wrong secret, before the ID-JAG is looked at', async () => {
    const { idp, client, user } = await setting()
    const response = await present({ ...client, clientSecret: 'wrong' }, await idJag(idp, client, user))
    await expectOAuthError(response, 401, 'invalid_client')
  })

  it('unauthorized_client: a client not allowed the grant, and a public client (§8.1: confidential clients only)', async () => {
    const { idp, user } = await setting()
    const other = await makeApplication({ grantTypes: ['client-credentials'] })
    await expectOAuthError(await present(other, await idJag(idp, other, user)), 400, 'unauthorized_client')
    const open = await makeApplication({ clientType: 'public', grantTypes: [JWT_BEARER_GRANT] })
    const response = await postToken(
      form({ grant_type: JWT_BEARER_GRANT, assertion: await idJag(idp, open, user), client_id: open.clientId }),
    )
    await expectOAuthError(response, 400, 'unauthorized_client')
  })
})

/** An ID-JAG unsigned (RFC 7519 §6: alg none). */
function unsecured(header: Claims, payload: Claims): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${part(header)}.${part(payload)}.`
}

describe('refused as invalid_grant: every malformed, misdirected or replayed ID-JAG', () => {
  const now = () => Math.floor(Date.now() / 1000)
  it.each<[string, Claims, RegExp, Claims?]>([
    ['no typ (RFC 8725 §3.11: the typ must be oauth-id-jag+jwt)', {}, /typ must be/, { typ: undefined }],
    ['typ JWT: an id_token or any other JWT', {}, /typ must be/, { typ: 'JWT' }],
    ['typ of a DPoP proof', {}, /typ must be/, { typ: 'dpop+jwt' }],
    ['aud another server', { aud: 'https://other.example' }, /aud must be/],
    [
      'aud a list holding this issuer and another (§4.4.1: exactly one element)',
      { aud: [ORIGIN, 'https://other.example'] },
      /aud must be/,
    ],
    ['aud this server’s token endpoint, not its issuer', { aud: `${ORIGIN}/o/token/` }, /aud must be/],
    ['no aud', { aud: undefined }, /aud must be/],
    ['client_id another client’s (§4.4.1)', { client_id: 'someone-else' }, /another client/],
    ['no client_id', { client_id: undefined }, /another client/],
    ['no exp', { exp: undefined }, /no exp/],
    ['exp past', { exp: now() - 1 }, /expired/],
    ['exp more than an hour away', { exp: now() + 3700 }, /3600 seconds/],
    ['no iat (§3.1: REQUIRED)', { iat: undefined }, /no iat/],
    ['iat in the future', { iat: now() + 600 }, /iat is in the future/],
    ['nbf in the future', { nbf: now() + 600 }, /nbf is in the future/],
    ['no jti', { jti: undefined }, /jti/],
    ['a jti over 256 characters', { jti: 'j'.repeat(257) }, /jti/],
    ['no sub', { sub: undefined }, /no sub/],
    ['no resource (MCP §4.3: REQUIRED)', { resource: undefined }, /no resource/],
    ['an empty resource list', { resource: [] }, /no resource/],
    ['scope not a string', { scope: ['read'] }, /scope must be a string/],
    ['no iss', { iss: undefined }, /no iss/],
  ])('%s', async (_name, claims, reason, header = {}) => {
    const { idp, client, user } = await setting()
    const body = await expectOAuthError(
      await present(client, await idJag(idp, client, user, claims, header)),
      400,
      'invalid_grant',
    )
    expect(body.error_description).toMatch(reason)
  })

  it('iss an identity provider not trusted here', async () => {
    const { client, user } = await setting()
    const stranger = { issuer: newIssuer(), key: await signingKey() }
    await expectOAuthError(await present(client, await idJag(stranger, client, user)), 400, 'invalid_grant')
  })

  it('iss this server itself (draft §8.3: never tokens for an ID-JAG it issued itself), even signed by its own key', async () => {
    const { idp, client, user } = await setting()
    const body = await expectOAuthError(
      await present(client, await idJag(idp, client, user, { iss: ORIGIN })),
      400,
      'invalid_grant',
    )
    expect(body.error_description).toMatch(/itself/)
  })

  it('signed by another key than the provider’s (the right kid, the wrong key)', async () => {
    const { idp, client, user } = await setting()
    const impostor = { issuer: idp.issuer, key: { ...(await signingKey()), kid: idp.key.kid } }
    await expectOAuthError(await present(client, await idJag(impostor, client, user)), 400, 'invalid_grant')
  })

  it('altered after signing (a claim changed)', async () => {
    const { idp, client, user } = await setting()
    const [header, , signature] = (await idJag(idp, client, user)).split('.')
    const forged = base64url.encode(JSON.stringify({ iss: idp.issuer, aud: ORIGIN, client_id: client.clientId }))
    await expectOAuthError(await present(client, `${header}.${forged}.${signature}`), 400, 'invalid_grant')
  })

  it('alg none, and HS256 with the provider’s public key as the secret (RFC 8725 §2.1)', async () => {
    const { idp, client, user } = await setting()
    const seconds = now()
    const payload = {
      iss: idp.issuer,
      sub: 'U1',
      aud: ORIGIN,
      client_id: client.clientId,
      jti: crypto.randomUUID(),
      exp: seconds + 300,
      iat: seconds,
      resource: MCP_RESOURCE,
      email: user.email,
    }
    const none = unsecured({ alg: 'none', typ: ID_JAG_TYP }, payload)
    await expectOAuthError(await present(client, none), 400, 'invalid_grant')
    const secret = new TextEncoder().encode(JSON.stringify(idp.key.jwk))
    const hmac = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: ID_JAG_TYP }).sign(secret)
    await expectOAuthError(await present(client, hmac), 400, 'invalid_grant')
  })

  it('not a JWT at all', async () => {
    const { client } = await setting()
    await expectOAuthError(await present(client, 'not-a-jwt'), 400, 'invalid_grant')
  })

  it('RFC 7523 §3 (7): replayed — the second presentation of one ID-JAG, by the same client, is refused', async () => {
    const { idp, client, user } = await setting()
    const assertion = await idJag(idp, client, user)
    expect((await present(client, assertion)).status).toBe(200)
    const body = await expectOAuthError(await present(client, assertion), 400, 'invalid_grant')
    expect(body.error_description).toMatch(/already used/)
  })

  it('replayed concurrently: of many presentations of one ID-JAG exactly one gets a token', async () => {
    const { idp, client, user } = await setting()
    const assertion = await idJag(idp, client, user)
    const responses = await Promise.all(Array.from({ length: RACERS }, () => present(client, assertion)))
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 400)).toHaveLength(RACERS - 1)
    const tokens = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM access_tokens a JOIN applications p ON p.id = a.application_id WHERE p.client_id = ?',
    )
      .bind(client.clientId)
      .first<{ n: number }>()
    expect(tokens?.n).toBe(1)
  })

  it('a refused ID-JAG is not used up: the same one works once the reason is gone (the user activated)', async () => {
    const { idp, client } = await setting()
    const user = await employee({ isActive: false })
    const assertion = await idJag(idp, client, user)
    await expectOAuthError(await present(client, assertion), 400, 'invalid_grant')
    await env.DB.prepare('UPDATE users SET is_active = 1 WHERE id = ?').bind(user.id).run()
    expect((await present(client, assertion)).status).toBe(200)
  })

  it('the provider no longer trusted', async () => {
    const { idp, client, user } = await setting()
    await distrustIdentityProvider(db, OPERATOR, idp.issuer)
    await expectOAuthError(await present(client, await idJag(idp, client, user)), 400, 'invalid_grant')
  })
})

describe('refused: the resource, the scope and the subject', () => {
  it('invalid_target: the ID-JAG’s resource is not one this server issues tokens for (RFC 8707 §2)', async () => {
    const { idp, client, user } = await setting()
    const response = await present(client, await idJag(idp, client, user, { resource: 'https://api.other.example/' }))
    await expectOAuthError(response, 400, 'invalid_target')
  })

  it('invalid_target: a resource parameter the ID-JAG does not cover', async () => {
    const { idp, client, user } = await setting()
    const response = await present(client, await idJag(idp, client, user), { resource: API_RESOURCE })
    await expectOAuthError(response, 400, 'invalid_target')
  })

  it('invalid_scope: more scope than the ID-JAG delegates; or none of its scopes offered here', async () => {
    const { idp, client, user } = await setting()
    const more = await present(client, await idJag(idp, client, user, { scope: 'read' }), { scope: 'read write' })
    await expectOAuthError(more, 400, 'invalid_scope')
    const foreign = await present(client, await idJag(idp, client, user, { scope: 'chat.read' }))
    await expectOAuthError(foreign, 400, 'invalid_scope')
  })

  it.each<[string, Claims]>([
    ['no email claim', { email: undefined }],
    ['an email no user has', { email: 'nobody@corp.example' }],
    ['email_verified false: the provider does not vouch for the address', { email_verified: false }],
  ])('invalid_grant: the subject maps to no user — %s', async (_name, claims) => {
    const { idp, client, user } = await setting()
    await expectOAuthError(await present(client, await idJag(idp, client, user, claims)), 400, 'invalid_grant')
  })

  it('invalid_grant: the email of an inactive user, or of two users (ambiguous)', async () => {
    const { idp, client } = await setting()
    const inactive = await employee({ isActive: false })
    await expectOAuthError(await present(client, await idJag(idp, client, inactive)), 400, 'invalid_grant')
    const shared = `${unique('shared')}@corp.example`
    for (const username of [unique('a'), unique('b')]) {
      await createUser(db, { username, email: shared, password: 'correct horse battery staple' })
    }
    const body = await expectOAuthError(
      await present(client, await idJag(idp, client, { email: shared })),
      400,
      'invalid_grant',
    )
    expect(body.error_description).toMatch(/Several/)
  })

  it('invalid_grant: a username rule and no such user', async () => {
    const { idp, client, user } = await setting({ userClaim: 'preferred_username', userField: 'username' })
    const response = await present(client, await idJag(idp, client, user, { preferred_username: unique('ghost') }))
    await expectOAuthError(response, 400, 'invalid_grant')
  })
})
