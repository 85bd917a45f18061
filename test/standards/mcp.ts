/**
 * The MCP endpoint's tests' shared vocabulary: a POST to /mcp as a Streamable HTTP client sends
 * it, its JSON-RPC answer, and the Bearer challenge of a refusal; for the SDK clients' tests, their
 * fetch into the Worker and the person who approves in the browser.
 */
import { SELF } from 'cloudflare:test'
import { expect } from 'vitest'
import { fetchWithSettings, form, login, makeUser, ORIGIN, passwordToken } from '../helpers.ts'

export const ENDPOINT = `${ORIGIN}/mcp`
export const MCP_METADATA = `${ORIGIN}/.well-known/oauth-protected-resource/mcp`
export const STREAMABLE_ACCEPT = 'application/json, text/event-stream'

export type McpRequest = { token?: string; headers?: Record<string, string>; body?: string; method?: string }

/** A POST as a Streamable HTTP client sends it, with what `request` changes. */
export function mcpRequest(request: McpRequest = {}): Request {
  return new Request(ENDPOINT, {
    method: request.method ?? 'POST',
    headers: {
      Accept: STREAMABLE_ACCEPT,
      'Content-Type': 'application/json',
      ...(request.token ? { Authorization: `Bearer ${request.token}` } : {}),
      ...request.headers,
    },
    body: request.body,
  })
}

export function mcp(request: McpRequest = {}) {
  return SELF.fetch(mcpRequest(request))
}

export type RpcAnswer = {
  jsonrpc: string
  id: string | number | null
  result?: Record<string, unknown>
  error?: { code: number; message: string; data?: unknown }
}

export async function rpcAnswer(response: Response): Promise<RpcAnswer> {
  expect(response.headers.get('Content-Type')).toContain('application/json')
  const body = await response.json<RpcAnswer>()
  expect(body.jsonrpc).toBe('2.0')
  return body
}

/** A JSON-RPC error response with this HTTP status and code. */
export async function expectRpcError(
  response: Response,
  status: number,
  code: number,
  id: string | number | null = null,
) {
  expect(response.status).toBe(status)
  const body = await rpcAnswer(response)
  expect(body.id).toBe(id)
  expect(body.result).toBeUndefined()
  expect(body.error?.code).toBe(code)
  expect(body.error?.message).toEqual(expect.any(String))
  return body.error
}

/** The parameters of the WWW-Authenticate header's Bearer challenge, the first (RFC 9449 §7.1's DPoP one may follow). */
export function bearerParams(response: Response): Record<string, string> {
  const header = response.headers.get('WWW-Authenticate') ?? ''
  expect(header).toMatch(/^Bearer /)
  const bearer = header.split(/, (?=DPoP )/)[0]
  return Object.fromEntries([...bearer.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]))
}

/** RFC 6750 §3.1: 403 insufficient_scope naming exactly `scope` and the metadata, a JSON-RPC error as the body. */
export async function expectInsufficientScope(response: Response, scope: string) {
  expect(bearerParams(response)).toEqual({
    realm: 'mcp',
    error: 'insufficient_scope',
    scope,
    resource_metadata: MCP_METADATA,
  })
  await expectRpcError(response, 403, -32000)
}

/** A password-grant token with `scope`, requested for this endpoint (RFC 8707 `resource`). */
export async function mcpToken(scope: string): Promise<string> {
  const { body } = await passwordToken(scope, ENDPOINT)
  expect(body.scope).toBe(scope)
  return body.access_token
}

export type Settings = Record<string, string>

/** An SDK's fetch: every request goes to the Worker with `settings`, and a copy of each is kept in `sent`. */
export function recordingWorkerFetch(sent: Request[], settings: Settings) {
  return (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init)
    sent.push(request.clone())
    return fetchWithSettings(request, settings)
  }
}

export const describeRequest = (request: Request) => `${request.method} ${new URL(request.url).pathname}`

/** The form parameters of the token requests an SDK sent, in order. */
export async function tokenRequests(sent: Request[]): Promise<FormData[]> {
  const posts = sent.filter((request) => describeRequest(request) === 'POST /o/token/')
  return Promise.all(posts.map((request) => request.formData()))
}

type Approval = {
  settings: Settings
  /** The name the consent page must show. */
  clientName: string
  /** Where the authorization response must go. */
  redirectUrl: string
  /** The session of the person approving; a new user logs in when absent. */
  cookie?: string
}

/**
 * What a person does in the browser: log in, see the consent page naming the client, approve.
 * Returns the authorization response (RFC 6749 §4.1.2), which names this server (RFC 9207 `iss`).
 */
export async function approveInBrowser(authorizationUrl: URL, approval: Approval): Promise<URL> {
  const cookie = approval.cookie ?? (await login(await makeUser()))
  const path = authorizationUrl.pathname + authorizationUrl.search
  const page = await fetchWithSettings(
    new Request(`${ORIGIN}${path}`, { headers: { Cookie: cookie } }),
    approval.settings,
  )
  expect(page.status).toBe(200)
  expect(await page.text()).toContain(approval.clientName)
  const decision = await fetchWithSettings(
    new Request(`${ORIGIN}/o/authorize/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ ...Object.fromEntries(authorizationUrl.searchParams), allow: 'Approve' }),
    }),
    approval.settings,
  )
  expect(decision.status).toBe(302)
  const callback = new URL(decision.headers.get('Location') ?? '')
  expect(callback.origin + callback.pathname).toBe(approval.redirectUrl)
  expect(callback.searchParams.get('iss')).toBe(ORIGIN)
  return callback
}
