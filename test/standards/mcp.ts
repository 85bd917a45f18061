/**
 * The MCP endpoint's tests' shared vocabulary: a POST to /mcp as a Streamable HTTP client sends
 * it, its JSON-RPC answer, and the Bearer challenge of a refusal.
 */
import { SELF } from 'cloudflare:test'
import { expect } from 'vitest'
import { ORIGIN, passwordToken } from '../helpers.ts'

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

/** The parameters of the WWW-Authenticate header's one Bearer challenge. */
export function bearerParams(response: Response): Record<string, string> {
  const header = response.headers.get('WWW-Authenticate') ?? ''
  expect(header).toMatch(/^Bearer /)
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]))
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
