/**
 * This server as the enterprise IdP (draft-ietf-oauth-identity-assertion-authz-grant-03 §4.3,
 * MCP enterprise-managed authorization §4): RFC 8693 token exchange at /o/token/ turns one of its
 * id_tokens into an ID-JAG for another authorization server and resource, under the operator's
 * exchange policy (which client, which audience and resource, which client_id there, what scope
 * at most), signed with the OIDC keys and verifiable from the JWKS. Every refusal is tested.
 */
import { env } from 'cloudflare:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { OPERATOR } from '../../src/accounts/rights.ts'
import { generateSigningKeySet, loadSigningKeys } from '../../src/crypto/signing-keys.ts'
import { checkPolicy, removeIdJagPolicy, setIdJagPolicy } from '../../src/oauth/id-jag/policies.ts'
import { createIdToken } from '../../src/oauth/oidc/id-token.ts'
import {
  authorizationCode,
  basic,
  db,
  expectOAuthError,
  fetchWithSettings,
  form,
  getPage,
  makeApplication,
  makeUser,
  ORIGIN,
  postToken,
  unique,
} from '../helpers.ts'

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag'
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token'
const AUDIENCE = 'https://auth.chat.example'
const RESOURCE = 'https://mcp.chat.example/mcp'

type Client = {
  id: number
  clientId: string
  clientSecret: string | null
  name: string
  clientType: 'confidential' | 'public'
}

/** A rule of the exchange policy, set as `manage idjagpolicy` sets it. */
async function allow(
  client: Client,
  rule: { audience?: string; resource?: string; audienceClientId?: string; scope?: string } = {},
) {
  const checked = checkPolicy(client, { audience: AUDIENCE, resource: RESOURCE, ...rule })
  if (typeof checked === 'string') throw new Error(checked)
  return setIdJagPolicy(db, OPERATOR, client, checked)
}

/** An id_token this server issued to `clientId` for `user` (as the code flow's), `lifetime` from `issuedAt`. */
async function idToken(
  clientId: string,
  user: { id: number; username: string; email: string; firstName: string; lastName: string },
  options: { issuedAt?: number; lifetime?: number; secret?: string; issuer?: string } = {},
) {
  return createIdToken({
    keys: await loadSigningKeys(options.secret ?? env.OIDC_SIGNING_KEYS),
    issuer: options.issuer ?? ORIGIN,
    clientId,
    user,
    scopes: ['openid'],
    authTime: Math.floor(Date.now() / 1000) - 30,
    algorithm: 'RS256',
    lifetime: options.lifetime ?? 3600,
    issuedAt: options.issuedAt,
  })
}

/** A confidential client with a rule, a user signed in to it, and their id_token. */
async function setting(rule?: Parameters<typeof allow>[1]) {
  const client = await makeApplication({ name: 'Wiki (an MCP client)', grantTypes: ['authorization-code'] })
  await allow(client, rule)
  const user = await makeUser()
  return { client, user, subjectToken: await idToken(client.clientId, user) }
}

function exchange(
  client: { clientId: string; clientSecret: string | null },
  params: Record<string, string | string[]>,
) {
  const body = new URLSearchParams()
  const all: Record<string, string | string[]> = {
    grant_type: TOKEN_EXCHANGE,
    requested_token_type: ID_JAG,
    subject_token_type: ID_TOKEN,
    audience: AUDIENCE,
    resource: RESOURCE,
    ...params,
  }
  for (const [name, value] of Object.entries(all)) {
    for (const one of typeof value === 'string' ? [value] : value) if (one !== '\u0000') body.append(name, one)
  }
  return postToken(body.toString(), { Authorization: basic(client.clientId, client.clientSecret ?? '') })
}

/** Leaves a parameter out of `exchange`. */
const OMIT = '\u0000'

async function jwks() {
  return createLocalJWKSet(await (await getPage('/o/.well-known/jwks.json')).json())
}

async function auditMessages(action: string) {
  const { results } = await env.DB.prepare('SELECT actor_id, message FROM audit_log WHERE action = ? ORDER BY id')
    .bind(action)
    .all<{ actor_id: number | null; message: string }>()
  return results
}

describe('RFC 8693 token exchange: an id_token of this server becomes an ID-JAG (draft §4.3)', () => {
  it('from the code flow’s id_token: typ oauth-id-jag+jwt, signed with the OIDC keys, the draft’s claims', async () => {
    const { user, app, params } = await authorizationCode({ scopes: ['openid', 'read'] })
    const tokens = await (await postToken(form(params))).json<{ id_token: string }>()
    await allow(app, { audienceClientId: 'wiki-at-chat', scope: 'chat.read chat.history' })
    const response = await exchange(app, { subject_token: tokens.id_token, scope: 'chat.read' })
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<Record<string, unknown>>()
    // §4.3.4: N_A (not an access token), no refresh token.
    expect(body).toEqual({
      access_token: expect.any(String),
      issued_token_type: ID_JAG,
      token_type: 'N_A',
      expires_in: 300,
      scope: 'chat.read',
    })
    const jag = body.access_token as string
    expect(decodeProtectedHeader(jag)).toMatchObject({ typ: 'oauth-id-jag+jwt', alg: 'RS256' })
    const { payload } = await jwtVerify(jag, await jwks(), { typ: 'oauth-id-jag+jwt' })
    const idTokenSub = (await jwtVerify(tokens.id_token, await jwks())).payload.sub
    expect(payload).toEqual({
      iss: ORIGIN,
      // §3.1: the subject identifier this server uses in every id_token.
      sub: idTokenSub,
      aud: AUDIENCE,
      client_id: 'wiki-at-chat',
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: (payload.iat as number) + 300,
      resource: RESOURCE,
      scope: 'chat.read',
      auth_time: expect.any(Number),
      preferred_username: user.username,
      // §3.1: RECOMMENDED for subject resolution; addresses are not verified here.
      email: user.email,
      email_verified: false,
    })
    const [entry] = (await auditMessages('id_jag.issue')).filter((row) => row.message.includes(app.clientId))
    expect(entry.actor_id).toBe(user.id)
    expect(entry.message).toContain(payload.jti as string)
    expect(entry.message).toContain(AUDIENCE)
  })

  it('the client_id at the audience defaults to the client’s own; every ID-JAG has its own jti', async () => {
    const { client, subjectToken } = await setting()
    const jags = await Promise.all(
      [1, 2].map(
        async () =>
          (await (await exchange(client, { subject_token: subjectToken })).json<{ access_token: string }>())
            .access_token,
      ),
    )
    const [first, second] = await Promise.all(jags.map(async (jag) => (await jwtVerify(jag, await jwks())).payload))
    expect(first.client_id).toBe(client.clientId)
    expect(first.jti).not.toBe(second.jti)
  })

  it('scope: asked for nothing, the rule’s; asked for more than the rule allows, what it allows (§4.3.3)', async () => {
    const { client, subjectToken } = await setting({ scope: 'chat.read' })
    const none = await (await exchange(client, { subject_token: subjectToken })).json<{ scope: string }>()
    expect(none.scope).toBe('chat.read')
    const more = await exchange(client, { subject_token: subjectToken, scope: 'chat.read chat.write' })
    expect((await more.json<{ scope: string }>()).scope).toBe('chat.read')
  })

  it('a rule without scope: the scope asked for; none asked, an ID-JAG without scope', async () => {
    const { client, subjectToken } = await setting()
    const asked = await (await exchange(client, { subject_token: subjectToken, scope: 'a b' })).json<{
      scope: string
    }>()
    expect(asked.scope).toBe('a b')
    const none = await (await exchange(client, { subject_token: subjectToken })).json<Record<string, string>>()
    expect(none.scope).toBeUndefined()
    expect((await jwtVerify(none.access_token, await jwks())).payload.scope).toBeUndefined()
  })

  it('the audience as clients spell it (a trailing slash): the ID-JAG’s aud is the rule’s spelling', async () => {
    const { client, subjectToken } = await setting()
    const response = await exchange(client, {
      subject_token: subjectToken,
      audience: `${AUDIENCE}/`,
      resource: `${RESOURCE}/`,
    })
    const { access_token } = await response.json<{ access_token: string }>()
    expect((await jwtVerify(access_token, await jwks())).payload).toMatchObject({ aud: AUDIENCE, resource: RESOURCE })
  })

  it('ID_JAG_EXPIRE_SECONDS sets the lifetime', async () => {
    const { client, subjectToken } = await setting()
    const request = new Request(`${ORIGIN}/o/token/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(client.clientId, client.clientSecret ?? ''),
      },
      body: form({
        grant_type: TOKEN_EXCHANGE,
        requested_token_type: ID_JAG,
        subject_token_type: ID_TOKEN,
        subject_token: subjectToken,
        audience: AUDIENCE,
        resource: RESOURCE,
      }),
    })
    const body = await (await fetchWithSettings(request, { ID_JAG_EXPIRE_SECONDS: '60' })).json<{
      expires_in: number
    }>()
    expect(body.expires_in).toBe(60)
  })

  it('metadata (draft §7.1): the token-exchange grant and identity_chaining_requested_token_types_supported', async () => {
    const metadata = await (await getPage('/.well-known/oauth-authorization-server')).json<Record<string, string[]>>()
    expect(metadata.grant_types_supported).toContain(TOKEN_EXCHANGE)
    expect(metadata.identity_chaining_requested_token_types_supported).toEqual([ID_JAG])
  })
})

describe('refused: the policy (RFC 8693 §2.2.2 invalid_target)', () => {
  it.each<[string, Record<string, string | string[]>]>([
    ['an audience no rule names', { audience: 'https://other.example' }],
    ['a resource no rule names', { resource: 'https://mcp.chat.example/other' }],
    ['two audiences', { audience: [AUDIENCE, 'https://other.example'] }],
    ['two resources', { resource: [RESOURCE, 'https://mcp.chat.example/other'] }],
    ['a resource that is not an absolute URI', { resource: 'mcp' }],
  ])('%s', async (_name, params) => {
    const { client, subjectToken } = await setting()
    await expectOAuthError(await exchange(client, { subject_token: subjectToken, ...params }), 400, 'invalid_target')
  })

  it('another client’s rule does not count; a removed rule no longer does', async () => {
    const { client, user } = await setting()
    const other = await makeApplication({ grantTypes: ['authorization-code'] })
    const response = await exchange(other, { subject_token: await idToken(other.clientId, user) })
    await expectOAuthError(response, 400, 'invalid_target')
    const own = await allow(other)
    await removeIdJagPolicy(db, OPERATOR, own.id)
    await expectOAuthError(
      await exchange(other, { subject_token: await idToken(other.clientId, user) }),
      400,
      'invalid_target',
    )
    expect((await exchange(client, { subject_token: await idToken(client.clientId, user) })).status).toBe(200)
  })

  it('invalid_scope: a scope that is not scope tokens (RFC 6749 §3.3), with or without a rule’s scope', async () => {
    const { client, subjectToken } = await setting()
    await expectOAuthError(
      await exchange(client, { subject_token: subjectToken, scope: 'read "x"' }),
      400,
      'invalid_scope',
    )
    const bounded = await setting({ scope: 'chat.read' })
    const response = await exchange(bounded.client, { subject_token: bounded.subjectToken, scope: 'chat.read r\\d' })
    await expectOAuthError(response, 400, 'invalid_scope')
  })

  it('invalid_scope: none of the scope asked for is within the rule’s', async () => {
    const { client, subjectToken } = await setting({ scope: 'chat.read' })
    await expectOAuthError(
      await exchange(client, { subject_token: subjectToken, scope: 'chat.admin' }),
      400,
      'invalid_scope',
    )
  })

  it('a rule for a public client cannot be made (draft §5, §8.1)', () => {
    const refused = checkPolicy({ clientId: 'p', clientType: 'public' }, { audience: AUDIENCE, resource: RESOURCE })
    expect(refused).toMatch(/confidential/)
  })
})

describe('refused: the request (invalid_request) and the client', () => {
  it.each<[string, Record<string, string>]>([
    ['no requested_token_type (the draft: REQUIRED)', { requested_token_type: OMIT }],
    [
      'requested_token_type an access token: only ID-JAGs are issued',
      { requested_token_type: 'urn:ietf:params:oauth:token-type:access_token' },
    ],
    ['no subject_token', { subject_token: OMIT }],
    ['no subject_token_type', { subject_token_type: OMIT }],
    ['subject_token_type an access token', { subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }],
    ['subject_token_type SAML 2.0', { subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }],
    ['an actor_token (undefined by the draft)', { actor_token: 'x', actor_token_type: ID_TOKEN }],
    ['no audience (the draft: REQUIRED)', { audience: OMIT }],
    ['no resource (MCP §4: REQUIRED)', { resource: OMIT }],
  ])('%s', async (_name, params) => {
    const { client, subjectToken } = await setting()
    await expectOAuthError(await exchange(client, { subject_token: subjectToken, ...params }), 400, 'invalid_request')
  })

  it('invalid_client: a wrong secret', async () => {
    const { client, subjectToken } = await setting()
    await expectOAuthError(
      await exchange({ ...client, clientSecret: 'wrong' }, { subject_token: subjectToken }),
      401,
      'invalid_client',
    )
  })

  it('unauthorized_client: a public client', async () => {
    const open = await makeApplication({ clientType: 'public', grantTypes: ['authorization-code'] })
    const user = await makeUser()
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      requested_token_type: ID_JAG,
      subject_token_type: ID_TOKEN,
      subject_token: await idToken(open.clientId, user),
      audience: AUDIENCE,
      resource: RESOURCE,
      client_id: open.clientId,
    })
    await expectOAuthError(await postToken(body.toString()), 400, 'unauthorized_client')
  })
})

describe('refused: the subject token (invalid_grant, draft §4.3.3)', () => {
  it('an id_token issued to another client (its aud is not the authenticated client)', async () => {
    const { client, user } = await setting()
    const response = await exchange(client, { subject_token: await idToken(unique('someone-else'), user) })
    await expectOAuthError(response, 400, 'invalid_grant')
  })

  it('an expired id_token', async () => {
    const { client, user } = await setting()
    const issuedAt = Math.floor(Date.now() / 1000) - 7200
    const expired = await idToken(client.clientId, user, { issuedAt, lifetime: 3600 })
    await expectOAuthError(await exchange(client, { subject_token: expired }), 400, 'invalid_grant')
  })

  it('an id_token signed by a key this server does not hold, or naming another issuer', async () => {
    const { client, user } = await setting()
    const foreign = await idToken(client.clientId, user, { secret: await generateSigningKeySet(['RS256']) })
    await expectOAuthError(await exchange(client, { subject_token: foreign }), 400, 'invalid_grant')
    const elsewhere = await idToken(client.clientId, user, { issuer: 'https://idp.other.example' })
    await expectOAuthError(await exchange(client, { subject_token: elsewhere }), 400, 'invalid_grant')
  })

  it('not a JWT; an id_token altered after signing', async () => {
    const { client, subjectToken } = await setting()
    await expectOAuthError(await exchange(client, { subject_token: 'not-a-jwt' }), 400, 'invalid_grant')
    await expectOAuthError(await exchange(client, { subject_token: `${subjectToken}x` }), 400, 'invalid_grant')
  })

  it('the user deactivated since', async () => {
    const { client, user, subjectToken } = await setting()
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.id).run()
    await expectOAuthError(await exchange(client, { subject_token: subjectToken }), 400, 'invalid_grant')
  })
})
