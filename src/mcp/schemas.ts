/**
 * @module
 * The messages the MCP endpoint reads: JSON-RPC 2.0 envelopes (§4: requests, notifications,
 * responses) as MCP narrows them (ids are strings or integers, never null; params are objects),
 * the per-request `_meta` envelope of MCP 2026-07-28, and the params of the methods it answers.
 * The protocol revisions it speaks are listed here.
 */
import { z } from 'zod'

/**
 * The revisions whose every request carries its version and the client's capabilities in
 * `_meta`, with no handshake and no session ("modern", MCP 2026-07-28 Basic › Versioning).
 */
const MODERN_VERSIONS = ['2026-07-28'] as const

/**
 * The revisions that open with an `initialize` handshake ("legacy"), newest first: both send one
 * JSON-RPC message per POST (2025-06-18 removed batches), which is all this endpoint accepts.
 * 2025-03-26 and older are not spoken: they required servers to accept batches.
 */
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18'] as const

/** Every revision spoken here, newest first: what server/discover and UnsupportedProtocolVersion list. */
export const PROTOCOL_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS]

/** Which family of revisions a request is read by (the era of MCP 2026-07-28 Basic › Versioning). */
export type Era = 'modern' | 'legacy'

export function eraOf(version: string): Era {
  return (MODERN_VERSIONS as readonly string[]).includes(version) ? 'modern' : 'legacy'
}

/** The reserved `_meta` keys of MCP 2026-07-28 (Basic › General fields › `_meta`) this endpoint reads or writes. */
export const META_KEYS = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const

/** The schema's Implementation: a name and a version, and whatever else a later revision adds. */
const Implementation = z.looseObject({ name: z.string(), version: z.string() })

/**
 * MCP 2026-07-28 per-request protocol fields: the version and the client's capabilities are
 * required, clientInfo is a SHOULD; other keys (progressToken, trace context, …) pass.
 */
export const RequestEnvelope = z.looseObject({
  [META_KEYS.protocolVersion]: z.string(),
  [META_KEYS.clientCapabilities]: z.record(z.string(), z.unknown()),
  [META_KEYS.clientInfo]: Implementation.optional(),
})

/** MCP Basic: "Unlike base JSON-RPC, the ID MUST NOT be null"; integers only, as the schema types it. */
const Id = z.union([z.string(), z.number().int()])
const Params = z.record(z.string(), z.unknown()).optional()

const Request = z.object({ jsonrpc: z.literal('2.0'), id: Id, method: z.string(), params: Params }).strict()
const Notification = z.object({ jsonrpc: z.literal('2.0'), method: z.string(), params: Params }).strict()
const ResultResponse = z
  .object({ jsonrpc: z.literal('2.0'), id: Id, result: z.record(z.string(), z.unknown()) })
  .strict()
const ErrorResponse = z
  .object({
    jsonrpc: z.literal('2.0'),
    // JSON-RPC §5: null when the id of the request in error could not be read.
    id: Id.nullable(),
    error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }),
  })
  .strict()

/** One JSON-RPC message, told apart by its members (a request has `id` and `method`). */
export const Message = z.union([Request, Notification, ResultResponse, ErrorResponse])

export type Message = z.infer<typeof Message>
export type JsonRpcRequest = z.infer<typeof Request>

export const InitializeParams = z.object({
  protocolVersion: z.string(),
  capabilities: z.record(z.string(), z.unknown()),
  clientInfo: Implementation,
})

// Members a later revision adds are ignored (not refused), as the SDK's own schemas do; a
// member of the wrong type is invalid params. `_meta` is read before these (RequestEnvelope).
export const PingParams = z.object({}).optional()

export const ListToolsParams = z.object({ cursor: z.string().optional() }).optional()

export const CallToolParams = z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).optional() })
