/**
 * @module
 * The JSON-RPC 2.0 dialect, for the MCP endpoint (/mcp): every error is a JSON-RPC error
 * object (§5.1) in a response whose `id` is null when the failure is the HTTP request's rather
 * than a message's, as the MCP Streamable HTTP transport allows ("a JSON-RPC error response that
 * has no id"). Authentication refusals are the auth middleware's (RFC 6750 status and
 * challenge, src/auth/responses.ts), worded by the MCP endpoint's Protection.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { BODY_TOO_LARGE, limitBody } from '../lib/body-limit.ts'
import type { AppEnv } from '../types.ts'
import { createRouter, type Dialect } from './router.ts'
import { NO_STORE_HEADERS } from './semantics.ts'

/** JSON-RPC 2.0 §5.1 error codes; -32000 is the implementation-defined server error (transport failures). */
export const JSON_RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  serverError: -32000,
} as const

export type JsonRpcId = string | number

/** A JSON-RPC error object (§5.1): `data` is what the code's definition adds, if anything. */
export type JsonRpcErrorObject = { code: number; message: string; data?: unknown }

/** A JSON-RPC error response (§5, §5.1): `id` null when the request's own id could not be read. */
export function jsonRpcError(
  c: Context,
  status: ContentfulStatusCode,
  error: JsonRpcErrorObject,
  id: JsonRpcId | null = null,
  headers: Record<string, string | string[]> = {},
): Response {
  return c.json({ jsonrpc: '2.0', id, error }, status, { ...NO_STORE_HEADERS, ...headers })
}

const serverError = (c: Context, status: ContentfulStatusCode, message: string, headers?: Record<string, string>) =>
  jsonRpcError(c, status, { code: JSON_RPC_ERRORS.serverError, message }, null, headers)

export const jsonRpc: Dialect = {
  // The endpoint reads its messages itself (src/mcp/); a route validator that refuses is an invalid request.
  validationHook: (result, c) => {
    if (result.success) return
    return jsonRpcError(c, 400, { code: JSON_RPC_ERRORS.invalidRequest, message: 'Invalid Request' })
  },
  guard: [limitBody((c) => serverError(c, 413, BODY_TOO_LARGE))],
  clientError: (c, error) => serverError(c, error.status as ContentfulStatusCode, error.message),
  unavailable: (c, retryAfter) =>
    serverError(c, 503, 'Storage is unavailable; retry later.', { 'Retry-After': String(retryAfter) }),
  internalError: (c) => jsonRpcError(c, 500, { code: JSON_RPC_ERRORS.internalError, message: 'Internal error' }),
  notFound: (c) => serverError(c, 404, 'Not found.'),
  methodNotAllowed: (c, allow) =>
    serverError(c, 405, `Method ${c.req.method} not allowed; use ${allow}.`, { Allow: allow }),
}

/** A router answering in the JSON-RPC dialect; `paths`: its own path patterns (see createRouter). */
export function createJsonRpcRouter<E extends AppEnv = AppEnv>(paths: readonly string[]) {
  return createRouter<E>(jsonRpc, paths)
}
