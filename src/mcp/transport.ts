/**
 * @module
 * The MCP Streamable HTTP transport's rules for a request (MCP 2025-11-25, Basic › Transports),
 * before any message is read: the Origin check against DNS rebinding, the POST's Accept and
 * Content-Type, the MCP-Protocol-Version header; then the body as one JSON-RPC message.
 * Failures are JSON-RPC error responses without an id, with the status the transport names.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { JSON_RPC_ERRORS, jsonRpcError } from '../http/jsonrpc.ts'
import { mediaType } from '../http/semantics.ts'
import { knownIssuer } from '../oauth/issuer.ts'
import type { AppEnv } from '../types.ts'
import { Message, PROTOCOL_VERSIONS } from './schemas.ts'

const JSON_TYPE = 'application/json'
const EVENT_STREAM = 'text/event-stream'

/**
 * "Servers MUST validate the Origin header on all incoming connections": a browser page on
 * another origin is refused with 403 whatever it carries. A page whose host name was rebound to
 * this server still sends its own origin, so the comparison is with the issuer (ISSUER, or a
 * loopback request's own origin), never with the request's Host. Without a known issuer every
 * Origin is refused. No Origin: not a browser (MCP clients send none), nothing to check.
 */
export function rejectCrossOrigin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('Origin')
    if (origin !== undefined) {
      const issuer = knownIssuer(c)
      if (issuer === null || origin !== new URL(issuer).origin) {
        return jsonRpcError(c, 403, JSON_RPC_ERRORS.serverError, `Forbidden: Origin ${origin} is not allowed.`)
      }
    }
    await next()
  }
}

/** The media ranges of an Accept header (RFC 9110 §12.5.1) that it does not refuse (q=0). */
function acceptedRanges(header: string): Set<string> {
  const ranges = new Set<string>()
  for (const item of header.split(',')) {
    const [range, ...parameters] = item.split(';').map((part) => part.trim().toLowerCase())
    const q = parameters.find((parameter) => parameter.startsWith('q='))
    if (range && (q === undefined || Number(q.slice(2)) > 0)) ranges.add(range)
  }
  return ranges
}

/**
 * A POST's headers: Accept listing both application/json and text/event-stream ("The client
 * MUST include an Accept header, listing both"): 406; a JSON body: 415; an MCP-Protocol-Version
 * this endpoint does not speak: 400 ("it MUST respond with 400 Bad Request"). Without the
 * header the version is the one initialize negotiated, which a stateless endpoint cannot know:
 * the request is read as any supported revision reads it (they agree on every method here).
 */
export function transportProblem(c: Context): Response | undefined {
  const accepted = acceptedRanges(c.req.header('Accept') ?? '')
  if (!accepted.has(JSON_TYPE) || !accepted.has(EVENT_STREAM)) {
    return jsonRpcError(
      c,
      406,
      JSON_RPC_ERRORS.serverError,
      'Not Acceptable: the Accept header must list both application/json and text/event-stream.',
    )
  }
  if (mediaType(c) !== JSON_TYPE) {
    return jsonRpcError(
      c,
      415,
      JSON_RPC_ERRORS.serverError,
      'Unsupported Media Type: the body must be application/json.',
    )
  }
  const version = c.req.header('MCP-Protocol-Version')
  if (version !== undefined && !(PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
    return jsonRpcError(
      c,
      400,
      JSON_RPC_ERRORS.serverError,
      `Bad Request: unsupported MCP-Protocol-Version ${version} (supported: ${PROTOCOL_VERSIONS.join(', ')}).`,
    )
  }
}

/**
 * The body as one JSON-RPC message, or the 400 refusing it: not JSON is a parse error (-32700);
 * an array is a batch, which the revisions spoken here removed ("The body of the POST request
 * MUST be a single JSON-RPC request, notification, or response"); anything else that is not a
 * message is an invalid request (-32600).
 */
export async function readMessage(c: Context): Promise<Message | Response> {
  let body: unknown
  try {
    body = JSON.parse(await c.req.text())
  } catch {
    return jsonRpcError(c, 400, JSON_RPC_ERRORS.parseError, 'Parse error: the body is not valid JSON.')
  }
  if (Array.isArray(body)) {
    return jsonRpcError(
      c,
      400,
      JSON_RPC_ERRORS.invalidRequest,
      'Invalid Request: batches are not supported; send one JSON-RPC message per request (MCP 2025-06-18 and later).',
    )
  }
  const parsed = Message.safeParse(body)
  if (!parsed.success)
    return jsonRpcError(c, 400, JSON_RPC_ERRORS.invalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message.')
  return parsed.data
}
