/**
 * Enterprise-managed authorization (MCP extension; draft-ietf-oauth-identity-assertion-authz-grant)
 * driven by a client nobody here wrote: the v2 MCP SDK's `CrossAppAccessProvider`, against /mcp on
 * MCP 2026-07-28 and this server's jwt-bearer grant. On the 401 of its first request the SDK
 * discovers the resource and its authorization server (RFC 9728, RFC 8414), asks its `assertion`
 * callback for an ID-JAG for them, and presents it (RFC 7523) with its client secret; no consent page.
 *
 * - With the ID-JAG minted by this same server acting as the enterprise IdP: a second deployment of
 *   this Worker (its own ISSUER and signing keys, over the same database, as a company running both
 *   would) signs the user in, and the SDK's own `discoverAndRequestJwtAuthGrant` exchanges the
 *   id_token there (RFC 8693) under the exchange policy. The MCP server's deployment trusts that
 *   IdP by its jwks_uri, fetched from the IdP deployment. Stepping up to `write` (trigger_build's
 *   403) takes a new ID-JAG with the wider scope, still without a person.
 * - With an ID-JAG a test IdP signs with its own key, trusted by a JWK Set.
 */

import { env } from 'cloudflare:test'
import {
  Client,
  CrossAppAccessProvider,
  discoverAndRequestJwtAuthGrant,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client'
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OPERATOR } from '../../src/accounts/rights.ts'
import { createUser } from '../../src/accounts/users.ts'
import { generateSigningKeySet } from '../../src/crypto/signing-keys.ts'
import { JWT_BEARER_GRANT } from '../../src/db/schema.ts'
import { checkPolicy, setIdJagPolicy } from '../../src/oauth/id-jag/policies.ts'
import { trustIdentityProvider } from '../../src/oauth/id-jag/trusted-idps.ts'
import { createAuthorizationCode } from '../../src/tokens/authorization-codes.ts'
import { basic, db, fetchWithSettings, form, makeApplication, ORIGIN, pkcePair, testStore, unique } from '../helpers.ts'
import { describeRequest, ENDPOINT, recordingWorkerFetch, type Settings, tokenRequests } from './mcp.ts'

const VERSION = '2026-07-28'
const IDP_ORIGIN = 'https://idp.example.com'
const IDP_CALLBACK = 'https://wiki.example/sso/callback'
const MCP_SETTINGS: Settings = {}

const newClient = () =>
  new Client({ name: 'cross-app-access-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: VERSION } } })

/** A user of the company, known to both deployments (one database). */
async function employee() {
  const username = unique('emp')
  return createUser(db, { username, email: `${username}@corp.example`, password: 'correct horse battery staple' })
}

/** The MCP client's registration at the MCP server's authorization server: allowed the jwt-bearer grant. */
const mcpClientRegistration = () => makeApplication({ name: 'Wiki (MCP client)', grantTypes: [JWT_BEARER_GRANT] })

/** The form parameters of the token requests in `sent`, read from copies (so they can be read again). */
function tokenForms(sent: Request[]): Promise<FormData[]> {
  return tokenRequests(sent.map((request) => request.clone()))
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the v2 SDK’s CrossAppAccessProvider against the jwt-bearer grant and /mcp (MCP enterprise-managed authorization)', () => {
  it('with the ID-JAG minted by this server acting as the IdP: SSO → token exchange → jwt-bearer → tools → step-up', async () => {
    // The IdP deployment: its own issuer and keys.
    const idpSettings: Settings = {
      ISSUER: IDP_ORIGIN,
      OIDC_SIGNING_KEYS: await generateSigningKeySet(['RS256']),
    }
    const idpSent: Request[] = []
    const idpFetch = recordingWorkerFetch(idpSent, idpSettings)
    // The MCP server's deployment fetches the IdP's keys from its jwks_uri, over the network.
    const keyFetches: string[] = []
    vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init)
      keyFetches.push(request.url)
      if (new URL(request.url).origin !== IDP_ORIGIN) return new Response(null, { status: 404 })
      return fetchWithSettings(request, idpSettings)
    })

    const user = await employee()
    const mcpClient = await mcpClientRegistration()
    // The IdP side: the wiki's registration there, and the operator's rule for it.
    const wikiAtIdp = await makeApplication({
      name: 'Wiki (SSO)',
      grantTypes: ['authorization-code'],
      redirectUris: [IDP_CALLBACK],
    })
    const rule = checkPolicy(wikiAtIdp, {
      audience: ORIGIN,
      resource: ENDPOINT,
      audienceClientId: mcpClient.clientId,
      scope: 'read write',
    })
    if (typeof rule === 'string') throw new Error(rule)
    await setIdJagPolicy(db, OPERATOR, wikiAtIdp, rule)
    // The MCP server side: the IdP trusted by its jwks_uri, users matched by username.
    await trustIdentityProvider(db, OPERATOR, {
      issuer: IDP_ORIGIN,
      keys: { jwksUri: `${IDP_ORIGIN}/o/.well-known/jwks.json` },
      userClaim: 'preferred_username',
      userField: 'username',
    })

    // 1. SSO at the IdP: the wiki redeems the user's code (OpenID Connect) and keeps the id_token.
    const pkce = await pkcePair()
    const code = await createAuthorizationCode(testStore(), {
      applicationId: wikiAtIdp.id,
      userId: user.id,
      redirectUri: IDP_CALLBACK,
      scopes: ['openid', 'profile'],
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      nonce: '',
      authTime: Math.floor(Date.now() / 1000),
      lifetime: 60,
    })
    const sso = await idpFetch(`${IDP_ORIGIN}/o/token/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(wikiAtIdp.clientId, wikiAtIdp.clientSecret ?? ''),
      },
      body: form({ grant_type: 'authorization_code', code, redirect_uri: IDP_CALLBACK, code_verifier: pkce.verifier }),
    })
    const { id_token: idToken } = await sso.json<{ id_token: string }>()
    expect(decodeJwt(idToken).iss).toBe(IDP_ORIGIN)

    // 2. The MCP client, with the SDK's provider: its assertion callback does the token exchange.
    const contexts: { authorizationServerUrl: string; resourceUrl: string; scope?: string }[] = []
    const provider = new CrossAppAccessProvider({
      assertion: async (ctx) => {
        contexts.push({
          authorizationServerUrl: ctx.authorizationServerUrl,
          resourceUrl: ctx.resourceUrl,
          scope: ctx.scope,
        })
        const grant = await discoverAndRequestJwtAuthGrant({
          idpUrl: IDP_ORIGIN,
          audience: ctx.authorizationServerUrl,
          resource: ctx.resourceUrl,
          idToken,
          clientId: wikiAtIdp.clientId,
          clientSecret: wikiAtIdp.clientSecret ?? '',
          scope: ctx.scope,
          fetchFn: idpFetch,
        })
        return grant.jwtAuthGrant
      },
      clientId: mcpClient.clientId,
      clientSecret: mcpClient.clientSecret ?? '',
      // SEP-2352: the client's credentials go to this authorization server only.
      expectedIssuer: ORIGIN,
    })
    const sent: Request[] = []
    const transport = new StreamableHTTPClientTransport(new URL(ENDPOINT), {
      authProvider: provider,
      fetch: recordingWorkerFetch(sent, MCP_SETTINGS),
    })
    const client = newClient()
    await client.connect(transport)
    expect(client.getProtocolEra()).toBe('modern')
    expect(contexts[0]).toMatchObject({ authorizationServerUrl: ORIGIN, resourceUrl: ENDPOINT, scope: 'read' })

    // The exchange at the IdP (RFC 8693, as the draft's §4.3.1 example), and its ID-JAG.
    const [, exchange] = await tokenForms(idpSent)
    expect(Object.fromEntries(exchange)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: ORIGIN,
      resource: ENDPOINT,
      scope: 'read',
    })
    // The jwt-bearer request at the MCP server's authorization server, with that ID-JAG.
    const [presented] = await tokenForms(sent)
    expect(presented.get('grant_type')).toBe(JWT_BEARER_GRANT)
    expect(presented.get('resource')).toBe(ENDPOINT)
    expect(sent.find((request) => describeRequest(request) === 'POST /o/token/')?.headers.get('Authorization')).toBe(
      basic(mcpClient.clientId, mcpClient.clientSecret ?? ''),
    )
    const jag = presented.get('assertion') as string
    expect(decodeProtectedHeader(jag).typ).toBe('oauth-id-jag+jwt')
    expect(decodeJwt(jag)).toMatchObject({
      iss: IDP_ORIGIN,
      aud: ORIGIN,
      client_id: mcpClient.clientId,
      resource: ENDPOINT,
      scope: 'read',
      preferred_username: user.username,
    })
    expect(keyFetches).toEqual([`${IDP_ORIGIN}/o/.well-known/jwks.json`])

    // 3. The tools, as the user the IdP named; no consent page was ever asked for.
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['hello', 'trigger_build'])
    expect(await client.callTool({ name: 'hello' })).toMatchObject({
      content: [{ type: 'text', text: 'Hello, OAuth2!' }],
      isError: false,
    })

    // 4. trigger_build needs `write`: 403 insufficient_scope → the SDK asks its callback for an
    // ID-JAG with the wider scope (within the IdP's rule) and presents it; the call goes through.
    expect(await client.callTool({ name: 'trigger_build' })).toMatchObject({
      content: [{ type: 'text', text: 'Build triggered.' }],
      isError: false,
    })
    expect(contexts.map((context) => context.scope?.split(' ').sort().join(' '))).toEqual(['read', 'read write'])
    const presentations = await tokenForms(sent)
    expect(presentations.map((params) => params.get('grant_type'))).toEqual([JWT_BEARER_GRANT, JWT_BEARER_GRANT])
    expect(
      decodeJwt(presentations[1].get('assertion') as string)
        .scope?.toString()
        .split(' ')
        .sort(),
    ).toEqual(['read', 'write'])
    await client.close()
    expect(sent.map(describeRequest)).not.toContain('GET /o/authorize/')

    // Both directions audited: the IdP's ID-JAGs and the MCP server's tokens, for this user.
    const audited = await env.DB.prepare(
      "SELECT action FROM audit_log WHERE actor_id = ? AND action IN ('id_jag.issue', 'id_jag.redeem') ORDER BY id",
    )
      .bind(user.id)
      .all<{ action: string }>()
    expect(audited.results.map((row) => row.action)).toEqual([
      'id_jag.issue',
      'id_jag.redeem',
      'id_jag.issue',
      'id_jag.redeem',
    ])
  })

  it('with an ID-JAG a test IdP signs with its own key: connected and calling tools for the user its email names', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    const kid = unique('test-idp')
    const issuer = `https://${unique('idp')}.example.org`
    await trustIdentityProvider(db, OPERATOR, {
      issuer,
      keys: { jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] } },
    })
    const user = await employee()
    const mcpClient = await mcpClientRegistration()
    const provider = new CrossAppAccessProvider({
      // The test IdP: an ID-JAG for what the SDK discovered, as an enterprise IdP issues it.
      assertion: async (ctx) =>
        new SignJWT({
          client_id: mcpClient.clientId,
          resource: ctx.resourceUrl,
          ...(ctx.scope ? { scope: ctx.scope } : {}),
          email: user.email,
        })
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'oauth-id-jag+jwt' })
          .setIssuer(issuer)
          .setSubject(unique('00u'))
          .setAudience(ctx.authorizationServerUrl)
          .setJti(crypto.randomUUID())
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey),
      clientId: mcpClient.clientId,
      clientSecret: mcpClient.clientSecret ?? '',
      // SEP-2352: the client's credentials go to this authorization server only.
      expectedIssuer: ORIGIN,
    })
    const sent: Request[] = []
    const transport = new StreamableHTTPClientTransport(new URL(ENDPOINT), {
      authProvider: provider,
      fetch: recordingWorkerFetch(sent, MCP_SETTINGS),
    })
    const client = newClient()
    await client.connect(transport)
    expect(await client.callTool({ name: 'hello' })).toMatchObject({ isError: false })
    await client.close()
    expect(sent.map(describeRequest).slice(0, 4)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-authorization-server',
      'POST /o/token/',
    ])
    const redeemed = await env.DB.prepare(
      "SELECT message FROM audit_log WHERE actor_id = ? AND action = 'id_jag.redeem'",
    )
      .bind(user.id)
      .first<{ message: string }>()
    expect(redeemed?.message).toContain(issuer)
  })
})
