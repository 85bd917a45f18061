/**
 * A client nobody here wrote, in its current release: the v2 MCP TypeScript SDK
 * (`@modelcontextprotocol/client`), pinned to MCP 2026-07-28, against /mcp inside the Workers
 * runtime. From a 401 on its first request (`server/discover`) it reads the resource's RFC 9728
 * metadata and the RFC 8414 metadata of the server named there, registers by RFC 7591 as a
 * `native` client (SEP-837), asks for `read` and `offline_access` (SEP-2207) with PKCE and RFC 8707
 * `resource`, checks RFC 9207 `iss` before redeeming the code, and keys what it keeps by the
 * issuer (SEP-2352). With the token it lists and calls tools, refreshes when the token stops
 * working, and steps up to `write` when trigger_build answers 403 insufficient_scope (SEP-2350),
 * with the same registration. The login and consent pages are the real ones.
 */
import {
  Client,
  IssuerMismatchError,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications } from '../../src/db/schema.ts'
import { db, fetchWithSettings, form, login, makeUser, ORIGIN } from '../helpers.ts'
import {
  approveInBrowser,
  describeRequest,
  ENDPOINT,
  recordingWorkerFetch,
  type Settings,
  tokenRequests,
} from './mcp.ts'

const SETTINGS: Settings = { CLIENT_REGISTRATION: 'open' }
const REDIRECT_URL = 'http://127.0.0.1:33419/callback'
const CLIENT_NAME = 'MCP v2 SDK test client'
const VERSION = '2026-07-28'

/**
 * An MCP client's store, as the v2 SDK asks for it: registrations and tokens kept per issuer
 * (SEP-2352), the discovery state beside the PKCE verifier (so the callback leg is checked
 * against the server the redirect went to), and a `state` for the redirect.
 */
class IssuerKeyedProvider implements OAuthClientProvider {
  readonly clients = new Map<string, StoredOAuthClientInformation>()
  readonly issuedTokens = new Map<string, StoredOAuthTokens>()
  private latestTokens?: StoredOAuthTokens
  private verifier = ''
  private discovery?: OAuthDiscoveryState
  lastState = ''
  authorizationUrl?: URL

  get redirectUrl() {
    return REDIRECT_URL
  }
  // No application_type: the SDK derives `native` from the loopback redirect (SEP-837).
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }
  }
  state() {
    this.lastState = crypto.randomUUID()
    return this.lastState
  }
  clientInformation(ctx?: OAuthClientInformationContext) {
    return ctx ? this.clients.get(ctx.issuer) : undefined
  }
  saveClientInformation(info: StoredOAuthClientInformation, ctx?: OAuthClientInformationContext) {
    if (ctx) this.clients.set(ctx.issuer, info)
  }
  // Without ctx (the transport's Authorization header): the latest saved.
  tokens(ctx?: OAuthClientInformationContext) {
    return ctx ? this.issuedTokens.get(ctx.issuer) : this.latestTokens
  }
  saveTokens(tokens: StoredOAuthTokens, ctx?: OAuthClientInformationContext) {
    this.latestTokens = tokens
    if (ctx) this.issuedTokens.set(ctx.issuer, tokens)
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier
  }
  codeVerifier() {
    return this.verifier
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state
  }
  discoveryState() {
    return this.discovery
  }
}

/** The bodies of the JSON POSTs to `path` the SDK sent, in order. */
async function jsonBodies(sent: Request[], path: string): Promise<Record<string, unknown>[]> {
  const posts = sent.filter((request) => describeRequest(request) === `POST ${path}`)
  return Promise.all(posts.map((request) => request.clone().json<Record<string, unknown>>()))
}

describe('the v2 MCP SDK client on MCP 2026-07-28: discovery → DCR → code + PKCE → tools → refresh → step-up', () => {
  it('runs the whole flow against /mcp, every token bound to it, iss checked, one registration throughout', async () => {
    const endpoint = new URL(ENDPOINT)
    const sent: Request[] = []
    const fetch = recordingWorkerFetch(sent, SETTINGS)
    const provider = new IssuerKeyedProvider()
    const newClient = () =>
      new Client({ name: 'sdk-v2-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: VERSION } } })

    // 1. The probe (server/discover) meets a 401; the SDK discovers, registers and sends the user off.
    const first = new StreamableHTTPClientTransport(endpoint, { authProvider: provider, fetch })
    await expect(newClient().connect(first)).rejects.toThrow(UnauthorizedError)
    expect(sent.map(describeRequest)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-authorization-server',
      'POST /o/register/',
    ])
    expect(sent[0].headers.get('MCP-Protocol-Version')).toBe(VERSION)
    expect(sent[0].headers.get('Mcp-Method')).toBe('server/discover')
    // SEP-837 and SEP-2207 as the SDK applies them to the registration.
    const [registration] = await jsonBodies(sent, '/o/register/')
    expect(registration).toMatchObject({
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'read offline_access',
    })
    const [issuer] = [...provider.clients.keys()]
    expect(issuer).toBe(ORIGIN)
    const clientId = provider.clients.get(ORIGIN)?.client_id ?? ''
    const row = await db.select().from(applications).where(eq(applications.clientId, clientId)).get()
    expect(row).toMatchObject({
      applicationType: 'native',
      clientType: 'public',
      registeredScope: 'read offline_access',
    })

    // The authorization request: the 401's scope plus offline_access (advertised by the server, not
    // by the resource), the consent prompt that goes with it, PKCE, the resource, a state.
    const authorizationUrl = provider.authorizationUrl ?? new URL('about:blank')
    expect(Object.fromEntries(authorizationUrl.searchParams)).toMatchObject({
      client_id: clientId,
      scope: 'read offline_access',
      prompt: 'consent',
      resource: endpoint.href,
      code_challenge_method: 'S256',
      state: provider.lastState,
    })

    // 2. The person approves; the SDK refuses a response naming another issuer, or none (RFC 9207 §2.4:
    // the metadata says every response carries one), before it sends the code anywhere.
    const cookie = await login(await makeUser())
    const approval = { settings: SETTINGS, clientName: CLIENT_NAME, redirectUrl: REDIRECT_URL, cookie }
    const callback = await approveInBrowser(authorizationUrl, approval)
    expect(callback.searchParams.get('state')).toBe(provider.lastState)
    const forged = new URLSearchParams(callback.searchParams)
    forged.set('iss', 'https://evil.example')
    await expect(first.finishAuth(forged)).rejects.toThrow(IssuerMismatchError)
    const stripped = new URLSearchParams(callback.searchParams)
    stripped.delete('iss')
    await expect(first.finishAuth(stripped)).rejects.toThrow(IssuerMismatchError)
    expect(sent.map(describeRequest)).not.toContain('POST /o/token/')
    await first.finishAuth(callback.searchParams)
    const issued = provider.tokens({ issuer: ORIGIN })
    expect(issued).toMatchObject({ token_type: 'Bearer', scope: 'read offline_access', issuer: ORIGIN })
    expect(issued?.refresh_token).toEqual(expect.any(String))

    // 3. Connected on 2026-07-28: server/discover answered, no session, the tools.
    const transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider, fetch })
    const client = newClient()
    await client.connect(transport)
    expect(client.getProtocolEra()).toBe('modern')
    expect(client.getDiscoverResult()?.supportedVersions).toContain(VERSION)
    expect(client.getServerVersion()?.name).toBe('edge-oauth-toolkit')
    expect(transport.sessionId).toBeUndefined()
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['hello', 'trigger_build'])
    expect(await client.callTool({ name: 'hello' })).toMatchObject({
      content: [{ type: 'text', text: 'Hello, OAuth2!' }],
      isError: false,
    })
    const call = sent.findLast((request) => request.headers.get('Mcp-Method') === 'tools/call')
    expect(call?.headers.get('Mcp-Name')).toBe('hello')
    expect(call?.headers.get('MCP-Protocol-Version')).toBe(VERSION)

    // 4. The access token stops working (revoked, as an expiry would end it): 401 invalid_token,
    // the SDK refreshes with its refresh token and sends the call again.
    const revoked = await fetchWithSettings(
      new Request(`${ORIGIN}/o/revoke_token/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ token: issued?.access_token ?? '', client_id: clientId }),
      }),
      SETTINGS,
    )
    expect(revoked.status).toBe(200)
    expect((await client.callTool({ name: 'hello' })).isError).toBe(false)
    const refreshed = provider.tokens({ issuer: ORIGIN })
    expect(refreshed?.access_token).not.toBe(issued?.access_token)

    // 5. trigger_build needs `write`: 403 insufficient_scope → the SDK asks again for the union of
    // what it has and what the challenge names, with the same client_id; the person approves.
    await expect(client.callTool({ name: 'trigger_build' })).rejects.toThrow(UnauthorizedError)
    const stepUpUrl = provider.authorizationUrl ?? new URL('about:blank')
    expect(stepUpUrl).not.toBe(authorizationUrl)
    expect(stepUpUrl.searchParams.get('client_id')).toBe(clientId)
    expect(stepUpUrl.searchParams.get('scope')?.split(' ').sort()).toEqual(['offline_access', 'read', 'write'])
    await transport.finishAuth((await approveInBrowser(stepUpUrl, approval)).searchParams)
    expect(provider.tokens({ issuer: ORIGIN })?.scope?.split(' ').sort()).toEqual(['offline_access', 'read', 'write'])
    expect(await client.callTool({ name: 'trigger_build' })).toMatchObject({
      content: [{ type: 'text', text: 'Build triggered.' }],
      isError: false,
    })
    expect((await client.callTool({ name: 'hello' })).isError).toBe(false)
    await client.close()

    // One registration, every token request for the MCP resource (RFC 8707), as the one public client.
    expect(sent.map(describeRequest).filter((line) => line === 'POST /o/register/')).toHaveLength(1)
    const tokenPosts = await tokenRequests(sent)
    expect(tokenPosts.map((params) => params.get('grant_type'))).toEqual([
      'authorization_code',
      'refresh_token',
      'authorization_code',
    ])
    for (const params of tokenPosts) {
      expect(params.get('resource')).toBe(endpoint.href)
      expect(params.get('client_id')).toBe(clientId)
    }
    // Stateless: no GET stream, no DELETE of a session.
    expect(sent.map(describeRequest)).not.toContain('GET /mcp')
    expect(sent.map(describeRequest)).not.toContain('DELETE /mcp')
  })
})
