/**
 * A client nobody here wrote: the MCP TypeScript SDK (`@modelcontextprotocol/sdk`), its OAuth
 * client (client/auth) and its MCP `Client` over Streamable HTTP, run inside the Workers runtime
 * with its fetch pointed at this Worker. From nothing but a 401 it discovers the resource's
 * RFC 9728 metadata, then the RFC 8414 metadata of the authorization server named there,
 * registers itself by RFC 7591 (CLIENT_REGISTRATION=open) or identifies itself by a client ID
 * metadata document that the test serves (CLIENT_ID_METADATA_DOCUMENTS=on), and obtains a token
 * with the authorization code grant, PKCE and RFC 8707 `resource`; the login and consent pages are
 * the real ones. With it, it calls /mcp's `hello` tool, refreshes, and is refused by the resource
 * API, a second resource the token was not minted for.
 */
import {
  auth,
  extractWWWAuthenticateParams,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  UnauthorizedError,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { applications } from '../../src/db/schema.ts'
import { db, fetchWithSettings, form, ORIGIN } from '../helpers.ts'
import { approveInBrowser, describeRequest, recordingWorkerFetch, type Settings, tokenRequests } from './mcp.ts'

const SETTINGS: Settings = { CLIENT_REGISTRATION: 'open' }
const REDIRECT_URL = 'http://127.0.0.1:33418/callback'
const RESOURCE = `${ORIGIN}/api/hello`

/** The SDK's fetch: every request goes to the Worker; the requests it made are kept to check the order. */
function workerFetch(log: string[], settings: Settings = SETTINGS) {
  return (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init)
    log.push(`${request.method} ${new URL(request.url).pathname}`)
    return fetchWithSettings(request, settings)
  }
}

/** An in-memory client, as an MCP client keeps its state: the SDK calls these at each step. */
class MemoryProvider implements OAuthClientProvider {
  /** Set: the SDK uses it as its client_id where the server supports metadata documents. */
  clientMetadataUrl?: string
  client?: OAuthClientInformationMixed
  savedTokens?: OAuthTokens
  verifier = ''
  authorizationUrl?: URL
  discovery?: OAuthDiscoveryState

  get redirectUrl() {
    return REDIRECT_URL
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP SDK test client',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }
  }
  clientInformation() {
    return this.client
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.client = client
  }
  tokens() {
    return this.savedTokens
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens
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

/** What a person does in the browser: log in, see the consent page, approve. Returns the code. */
async function approve(authorizationUrl: URL, settings: Settings = SETTINGS): Promise<string> {
  const callback = await approveInBrowser(authorizationUrl, {
    settings,
    clientName: 'MCP SDK test client',
    redirectUrl: REDIRECT_URL,
  })
  return callback.searchParams.get('code') ?? ''
}

describe('the MCP TypeScript SDK client: RFC 9728 → RFC 8414 → RFC 7591 → code + PKCE', () => {
  it('starts from a 401 of the API and ends calling it with its own token, then refreshes', async () => {
    const requests: string[] = []
    const fetchFn = workerFetch(requests)
    const provider = new MemoryProvider()

    // The resource answers 401 and names its metadata (RFC 9728 §5.1); the SDK reads the header.
    const refused = await fetchFn(RESOURCE)
    expect(refused.status).toBe(401)
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(refused)
    expect(resourceMetadataUrl?.href).toBe(`${ORIGIN}/.well-known/oauth-protected-resource/api`)

    expect(await auth(provider, { serverUrl: RESOURCE, resourceMetadataUrl, scope, fetchFn })).toBe('REDIRECT')
    // Discovery in the order RFC 9728 §7 and the MCP authorization spec prescribe, then DCR.
    expect(requests.slice(1, 4)).toEqual([
      'GET /.well-known/oauth-protected-resource/api',
      'GET /.well-known/oauth-authorization-server',
      'POST /o/register/',
    ])
    expect(provider.discovery?.resourceMetadata?.authorization_servers).toEqual([ORIGIN])
    const clientId = provider.client?.client_id ?? ''
    const registered = await db.select().from(applications).where(eq(applications.clientId, clientId)).get()
    expect(registered).toMatchObject({ clientType: 'public', userId: null, skipAuthorization: false })

    // The authorization request the SDK built: PKCE S256, our client, its redirect.
    const authorizationUrl = provider.authorizationUrl ?? new URL('about:blank')
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${ORIGIN}/o/authorize/`)
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorizationUrl.searchParams.get('client_id')).toBe(clientId)

    const code = await approve(authorizationUrl)
    expect(await auth(provider, { serverUrl: RESOURCE, authorizationCode: code, fetchFn })).toBe('AUTHORIZED')
    const tokens = provider.savedTokens
    expect(tokens?.token_type).toBe('Bearer')
    expect(tokens?.scope).toBe('read write groups')

    const hello = await fetchFn(RESOURCE, { headers: { Authorization: `Bearer ${tokens?.access_token}` } })
    expect(hello.status).toBe(200)
    expect(await hello.text()).toBe('Hello, OAuth2!')

    // With a refresh token stored, the SDK refreshes instead of sending the user again.
    expect(await auth(provider, { serverUrl: RESOURCE, fetchFn })).toBe('AUTHORIZED')
    expect(requests.at(-1)).toBe('POST /o/token/')
    expect(provider.savedTokens?.access_token).not.toBe(tokens?.access_token)
    const again = await fetchFn(RESOURCE, {
      headers: { Authorization: `Bearer ${provider.savedTokens?.access_token}` },
    })
    expect(again.status).toBe(200)
  })
})

describe('the MCP SDK Client over Streamable HTTP: /mcp, protected by this server', () => {
  it('401 → RFC 9728 → RFC 8414 → DCR → code + PKCE with resource → tools/list, tools/call hello → refresh → hello again', async () => {
    const endpoint = new URL(`${ORIGIN}/mcp`)
    const sent: Request[] = []
    const fetch = recordingWorkerFetch(sent, SETTINGS)
    const provider = new MemoryProvider()

    // Without a token the first POST (initialize) gets 401; the transport runs the SDK's auth flow,
    // which ends by sending the user to the authorization page.
    const first = new StreamableHTTPClientTransport(endpoint, { authProvider: provider, fetch })
    await expect(new Client({ name: 'sdk-test', version: '1.0.0' }).connect(first)).rejects.toThrow(UnauthorizedError)
    expect(sent.slice(0, 4).map(describeRequest)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-authorization-server',
      'POST /o/register/',
    ])
    expect(provider.discovery?.resourceMetadata?.resource).toBe(endpoint.href)
    // The authorization request: PKCE, the MCP resource (RFC 8707) and the scope the 401 named.
    const authorizationUrl = provider.authorizationUrl ?? new URL('about:blank')
    expect(authorizationUrl.searchParams.get('resource')).toBe(endpoint.href)
    expect(authorizationUrl.searchParams.get('scope')).toBe('read')
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256')

    await first.finishAuth(await approve(authorizationUrl))
    const issued = provider.savedTokens
    expect(issued?.scope).toBe('read')

    const client = new Client({ name: 'sdk-test', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: provider, fetch }))
    expect(client.getServerVersion()?.name).toBe('edge-oauth-toolkit')
    expect(client.getServerCapabilities()).toEqual({ tools: {} })
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['hello', 'trigger_build'])
    expect(await client.callTool({ name: 'hello' })).toEqual({
      content: [{ type: 'text', text: 'Hello, OAuth2!' }],
      isError: false,
    })

    // The access token stops working (revoked here, as an expiry would): the next call gets 401
    // invalid_token, and the SDK refreshes with its refresh token and sends the call again.
    await expectRefreshAfterRevocation(client, provider, SETTINGS)
    await client.close()

    // RFC 8707 §2: the SDK named the resource on the code exchange and on the refresh.
    const tokenPosts = await tokenRequests(sent)
    expect(tokenPosts.map((params) => params.get('grant_type'))).toEqual(['authorization_code', 'refresh_token'])
    for (const params of tokenPosts) expect(params.get('resource')).toBe(endpoint.href)

    // RFC 8707: the token is bound to <issuer>/mcp; the resource API, a second resource of this
    // server that the token was not minted for, refuses it (RFC 6750 §3.1 invalid_token).
    await expectRefusedByTheApi(provider.savedTokens?.access_token)
  })
})

/**
 * The access token is revoked (as an expiry would end it): the next tool call gets 401
 * invalid_token, the SDK refreshes as its client and sends the call again, with a new token.
 */
async function expectRefreshAfterRevocation(client: Client, provider: MemoryProvider, settings: Settings) {
  const issued = provider.savedTokens?.access_token
  const revoked = await fetchWithSettings(
    new Request(`${ORIGIN}/o/revoke_token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ token: issued ?? '', client_id: provider.client?.client_id ?? '' }),
    }),
    settings,
  )
  expect(revoked.status).toBe(200)
  expect(await client.callTool({ name: 'hello' })).toEqual({
    content: [{ type: 'text', text: 'Hello, OAuth2!' }],
    isError: false,
  })
  expect(provider.savedTokens?.access_token).not.toBe(issued)
}

/** A token minted for /mcp used at /api/hello: 401 invalid_token, naming the API's own metadata. */
async function expectRefusedByTheApi(accessToken: string | undefined, settings: Settings = SETTINGS) {
  const elsewhere = await fetchWithSettings(
    new Request(`${ORIGIN}/api/hello`, { headers: { Authorization: `Bearer ${accessToken}` } }),
    settings,
  )
  expect(elsewhere.status).toBe(401)
  const challenge = elsewhere.headers.get('WWW-Authenticate') ?? ''
  expect(challenge).toContain('error="invalid_token"')
  expect(challenge).toContain(`resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/api"`)
}

describe('the MCP SDK Client identified by a client ID metadata document: /mcp, no registration', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('401 → RFC 9728 → RFC 8414 → the server fetches the document → code + PKCE with resource → hello → refresh → refused by /api', async () => {
    // Only documents: no dynamic registration, so the SDK can only succeed the metadata-document way.
    const settings: Settings = { CLIENT_ID_METADATA_DOCUMENTS: 'on' }
    const endpoint = new URL(`${ORIGIN}/mcp`)
    const provider = new MemoryProvider()
    provider.clientMetadataUrl = `https://mcp-client-${Date.now().toString(36)}.example.org/oauth/client-metadata.json`
    // The document the client publishes, served to the Worker's outbound fetch (no network here).
    const documents: string[] = []
    vi.stubGlobal('fetch', async (input: string | URL | Request) => {
      const url = input instanceof Request ? input.url : String(input)
      documents.push(url)
      if (url !== provider.clientMetadataUrl) return new Response(null, { status: 404 })
      return Response.json(
        { client_id: provider.clientMetadataUrl, ...provider.clientMetadata },
        { headers: { 'Cache-Control': 'max-age=3600' } },
      )
    })
    const sent: Request[] = []
    const fetch = recordingWorkerFetch(sent, settings)

    const first = new StreamableHTTPClientTransport(endpoint, { authProvider: provider, fetch })
    await expect(new Client({ name: 'sdk-test', version: '1.0.0' }).connect(first)).rejects.toThrow(UnauthorizedError)
    // Discovery, then straight to the authorization request: no POST /o/register/.
    expect(sent.map(describeRequest)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-authorization-server',
    ])
    expect(provider.client?.client_id).toBe(provider.clientMetadataUrl)
    const authorizationUrl = provider.authorizationUrl ?? new URL('about:blank')
    expect(authorizationUrl.searchParams.get('client_id')).toBe(provider.clientMetadataUrl)
    expect(authorizationUrl.searchParams.get('resource')).toBe(endpoint.href)

    const code = await approve(authorizationUrl, settings)
    // Fetched once, when the authorization request first named it; the consent page used the row.
    expect(documents).toEqual([provider.clientMetadataUrl])
    const row = await db.select().from(applications).where(eq(applications.clientId, provider.clientMetadataUrl)).get()
    expect(row).toMatchObject({ name: 'MCP SDK test client', clientType: 'public', userId: null })
    expect(row?.metadataDocumentFreshUntil).toBeGreaterThan(Date.now() / 1000)

    await first.finishAuth(code)
    const _issued = provider.savedTokens
    const client = new Client({ name: 'sdk-test', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: provider, fetch }))
    expect(await client.callTool({ name: 'hello' })).toEqual({
      content: [{ type: 'text', text: 'Hello, OAuth2!' }],
      isError: false,
    })

    // Revoked (as an expiry would end it): the SDK refreshes as the document's client and retries.
    await expectRefreshAfterRevocation(client, provider, settings)
    await client.close()
    const tokenPosts = await tokenRequests(sent)
    expect(tokenPosts.map((params) => params.get('grant_type'))).toEqual(['authorization_code', 'refresh_token'])
    for (const params of tokenPosts) {
      expect(params.get('client_id')).toBe(provider.clientMetadataUrl)
      expect(params.get('resource')).toBe(endpoint.href)
    }
    expect(sent.map(describeRequest)).not.toContain('POST /o/register/')

    await expectRefusedByTheApi(provider.savedTokens?.access_token, settings)
  })
})
