/**
 * @module
 * The MCP Streamable HTTP transport's rules for a request (MCP 2025-11-25 and 2026-07-28, Basic ›
 * Transports): before any message is read, the Origin check against DNS rebinding and the POST's
 * Accept and Content-Type; then the body as one JSON-RPC message; then the revision it is read by
 * (the MCP-Protocol-Version header and, from 2026-07-28, the `_meta` version it must match); and
 * for a 2026-07-28 request, the Mcp-Method and Mcp-Name headers that mirror its body (SEP-2243).
 * Failures are JSON-RPC error responses, with the status the transport names and the request's
 * id once it could be read.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { JSON_RPC_ERRORS, type JsonRpcId, jsonRpcError } from '../http/jsonrpc.ts'
import { mediaType } from '../http/semantics.ts'
import { knownIssuer } from '../resource/issuer.ts'
import type { AppEnv } from '../types.ts'
import { type Era, eraOf, type JsonRpcRequest, META_KEYS, Message, PROTOCOL_VERSIONS } from './schemas.ts'

/** MCP 2026-07-28 Basic › Error Codes: the codes the specification defines (its reserved sub-range). */
const MCP_ERRORS = { headerMismatch: -32020, unsupportedProtocolVersion: -32022 } as const

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
        return jsonRpcError(c, 403, {
          code: JSON_RPC_ERRORS.serverError,
          message: `Forbidden: Origin ${origin} is not allowed.`,
        })
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
 * MUST include an Accept header, listing both"): 406; a JSON body: 415.
 */
export function transportProblem(c: Context): Response | undefined {
  const accepted = acceptedRanges(c.req.header('Accept') ?? '')
  if (!accepted.has(JSON_TYPE) || !accepted.has(EVENT_STREAM)) {
    return jsonRpcError(c, 406, {
      code: JSON_RPC_ERRORS.serverError,
      message: 'Not Acceptable: the Accept header must list both application/json and text/event-stream.',
    })
  }
  if (mediaType(c) !== JSON_TYPE) {
    return jsonRpcError(c, 415, {
      code: JSON_RPC_ERRORS.serverError,
      message: 'Unsupported Media Type: the body must be application/json.',
    })
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
    return jsonRpcError(c, 400, {
      code: JSON_RPC_ERRORS.parseError,
      message: 'Parse error: the body is not valid JSON.',
    })
  }
  if (Array.isArray(body)) {
    return jsonRpcError(c, 400, {
      code: JSON_RPC_ERRORS.invalidRequest,
      message:
        'Invalid Request: batches are not supported; send one JSON-RPC message per request (MCP 2025-06-18 and later).',
    })
  }
  const parsed = Message.safeParse(body)
  if (!parsed.success) {
    return jsonRpcError(c, 400, {
      code: JSON_RPC_ERRORS.invalidRequest,
      message: 'Invalid Request: not a JSON-RPC 2.0 message.',
    })
  }
  return parsed.data
}

/** The id to answer a message's failure with: a request's own, else null (JSON-RPC §5). */
function requestId(message: Message): JsonRpcId | null {
  return 'method' in message && 'id' in message ? message.id : null
}

const headerMismatch = (c: Context, message: string, id: JsonRpcId | null) =>
  jsonRpcError(c, 400, { code: MCP_ERRORS.headerMismatch, message: `Header mismatch: ${message}` }, id)

/** The version a message's `_meta` names (MCP 2026-07-28 per-request fields), if it names one. */
function envelopeVersion(message: Message): string | undefined {
  if (!('method' in message)) return undefined
  const meta = message.params?._meta
  if (typeof meta !== 'object' || meta === null) return undefined
  const version = (meta as Record<string, unknown>)[META_KEYS.protocolVersion]
  return typeof version === 'string' ? version : undefined
}

/**
 * The era a message is read by, or the 400 refusing it. Its version is the MCP-Protocol-Version
 * header's, which must equal the one its `_meta` names when both are sent (HeaderMismatch,
 * -32020); a version not spoken here is UnsupportedProtocolVersion (-32022) listing the ones that
 * are, in either era, so any client can retry with one. A 2026-07-28 request must send the
 * header ("Every POST request … MUST include"). Neither header nor `_meta` version: a 2025 client
 * before or without its negotiated version (it sends no header on initialize), read as the 2025
 * revisions read it (they agree on every method here).
 */
export function requestEra(c: Context, message: Message): Era | Response {
  const id = requestId(message)
  const header = c.req.header('MCP-Protocol-Version')?.trim()
  const envelope = envelopeVersion(message)
  if (header !== undefined && envelope !== undefined && header !== envelope) {
    return headerMismatch(c, `MCP-Protocol-Version ${header} but _meta names ${envelope}.`, id)
  }
  const version = header ?? envelope
  if (version === undefined) return 'legacy'
  if (!PROTOCOL_VERSIONS.includes(version)) {
    return jsonRpcError(
      c,
      400,
      {
        code: MCP_ERRORS.unsupportedProtocolVersion,
        message: `Unsupported protocol version ${version} (supported: ${PROTOCOL_VERSIONS.join(', ')}).`,
        data: { supported: PROTOCOL_VERSIONS, requested: version },
      },
      id,
    )
  }
  const era = eraOf(version)
  if (era === 'modern' && header === undefined) {
    return headerMismatch(c, `the MCP-Protocol-Version header is required (${version}).`, id)
  }
  return era
}

/** The body field each method's Mcp-Name mirrors (SEP-2243 standard headers). */
const NAME_SOURCES: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
}

// RFC 9110 §5.5 field values: visible ASCII, space and tab; OWS around the value is not part of it.
const FIELD_VALUE = /^[\x20-\x7E\t]*$/
const OWS = /^[ \t]+|[ \t]+$/g
// SEP-2243 Value Encoding: the markers are case-sensitive; the payload is padded standard Base64.
const BASE64_SENTINEL = /^=\?base64\?(.*)\?=$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A header's value without the OWS around it; null if it holds anything but visible ASCII, space and tab. */
function fieldValue(raw: string): string | null {
  const value = raw.replace(OWS, '')
  return FIELD_VALUE.test(value) ? value : null
}

/** Mcp-Name's (and Mcp-Param-*'s) value as the body holds it: decoded from the Base64 sentinel form; null if malformed. */
function decodedHeaderValue(raw: string): string | null {
  const value = fieldValue(raw)
  if (value === null) return null
  const encoded = BASE64_SENTINEL.exec(value)?.[1]
  if (encoded === undefined) return value
  if (!BASE64.test(encoded)) return null
  try {
    const bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return null
  }
}

/**
 * SEP-2243 (MCP 2026-07-28 Streamable HTTP › Server Validation): a request's Mcp-Method header
 * must be present and equal its method, and its Mcp-Name header must equal the tool's (prompt's,
 * resource's) name in the body, after decoding; otherwise 400 HeaderMismatch, so that an
 * intermediary routing on the headers and this server reading the body agree. Header names are
 * case-insensitive, values are not.
 */
export function standardHeaderProblem(c: Context, request: JsonRpcRequest): Response | undefined {
  const method = c.req.header('Mcp-Method')
  if (method === undefined) return headerMismatch(c, 'the Mcp-Method header is required.', request.id)
  if (fieldValue(method) !== request.method) {
    return headerMismatch(c, `Mcp-Method does not match the body's method ${request.method}.`, request.id)
  }
  const source = Object.hasOwn(NAME_SOURCES, request.method) ? NAME_SOURCES[request.method] : undefined
  if (source === undefined) return undefined
  const value = request.params?.[source]
  const name = c.req.header('Mcp-Name')
  if (name === undefined) {
    return value === undefined
      ? undefined
      : headerMismatch(c, `the Mcp-Name header is required for ${request.method}.`, request.id)
  }
  if (typeof value !== 'string' || decodedHeaderValue(name) !== value) {
    return headerMismatch(c, `Mcp-Name does not match the body's params.${source}.`, request.id)
  }
  return undefined
}
