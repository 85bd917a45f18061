/**
 * @module
 * The MCP endpoint's one route, `POST /mcp`: a stateless MCP server over the Streamable HTTP
 * transport, answering each request with one JSON object (no SSE stream, no session). Each
 * request is read by the revision it names (src/mcp/transport.ts `requestEra`):
 * - 2026-07-28 ("modern"): no handshake; every request carries its version and the client's
 *   capabilities in `_meta` and mirrors its method in headers; `server/discover`, `tools/list`,
 *   `tools/call`; results carry `resultType` and `serverInfo` in `_meta`, lists caching hints;
 *   a method this revision does not have is 404.
 * - 2025-11-25 and 2025-06-18 ("legacy"): `initialize`, `ping`, `tools/list`, `tools/call`.
 * The tools (src/mcp/tools.ts) are the same in both; `tools/list` needs the scope `read`
 * (MCP_TOOLS_SCOPE), a call the scopes of its tool.
 */
import type { Context, Handler } from 'hono'
import type { ZodType } from 'zod'
import type { ApiEnv } from '../auth/env.ts'
import { scopeRefusal, userRefusal } from '../auth/permissions.ts'
import { JSON_RPC_ERRORS, type JsonRpcErrorObject, type JsonRpcId, jsonRpcError } from '../http/jsonrpc.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { MCP_TOOLS_SCOPE } from '../resource/resources.ts'
import {
  CallToolParams,
  InitializeParams,
  type JsonRpcRequest,
  LEGACY_VERSIONS,
  ListToolsParams,
  META_KEYS,
  type Message,
  PingParams,
  PROTOCOL_VERSIONS,
  RequestEnvelope,
} from './schemas.ts'
import { findTool, runTool, TOOLS } from './tools.ts'
import { readMessage, requestEra, standardHeaderProblem, transportProblem } from './transport.ts'

const SERVER_INFO = { name: 'edge-oauth-toolkit', title: 'Edge OAuth Toolkit', version: '0.1.0' }

/**
 * MCP 2026-07-28 Server › Utilities › Caching: the tool list and the discovery result change only
 * with a deploy and are the same for every caller (`public`); an hour, like the metadata documents.
 */
const CACHE_HINTS = { ttlMs: 3_600_000, cacheScope: 'public' } as const

type Result = Record<string, unknown>
/** A method's outcome: its result, a JSON-RPC error (with HTTP 200), or an HTTP answer (a refusal). */
type Outcome = { result: Result } | { error: JsonRpcErrorObject } | Response
type Method = (c: Context<ApiEnv>, request: JsonRpcRequest) => Outcome

const invalidParams = (message: string): Outcome => ({ error: { code: JSON_RPC_ERRORS.invalidParams, message } })

/** The request's params read by `schema`, or undefined (then the method answers invalid params). */
function paramsOf<T>(schema: ZodType<T>, request: JsonRpcRequest): { ok: true; value: T } | { ok: false } {
  const parsed = schema.safeParse(request.params)
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false }
}

function listTools(c: Context<ApiEnv>, request: JsonRpcRequest): Outcome {
  const refused = scopeRefusal(c, [MCP_TOOLS_SCOPE])
  if (refused) return refused
  const params = paramsOf(ListToolsParams, request)
  if (!params.ok) return invalidParams('Invalid params: cursor must be a string.')
  // One page: no cursor this server handed out can exist.
  if (params.value?.cursor !== undefined) return invalidParams('Invalid params: unknown cursor.')
  return { result: { tools: TOOLS.map((tool) => tool.definition) } }
}

/**
 * DOT's TokenHasScope for the tool called (an unknown one needs `read`, as tools/list does, so a
 * caller without it learns nothing), then DRF's IsAuthenticated where the tool needs a user; then
 * the call.
 */
function callTool(c: Context<ApiEnv>, request: JsonRpcRequest): Outcome {
  const params = paramsOf(CallToolParams, request)
  const tool = params.ok ? findTool(params.value.name) : undefined
  const refused =
    scopeRefusal(c, tool ? [...tool.scopes] : [MCP_TOOLS_SCOPE]) ?? (tool?.needsUser ? userRefusal(c) : undefined)
  if (refused) return refused
  if (!params.ok) return invalidParams('Invalid params: tools/call needs a tool name and object arguments.')
  if (!tool) return invalidParams(`Unknown tool: ${params.value.name}`)
  return { result: runTool(tool, params.value.arguments ?? {}) }
}

/**
 * MCP 2025 lifecycle, version negotiation: the client's version when spoken here, else the newest
 * spoken here (the client then decides whether it can go on). Only the handshake's revisions: a
 * 2026-07-28 client sends no initialize.
 */
function initialize(_c: Context<ApiEnv>, request: JsonRpcRequest): Outcome {
  const params = paramsOf(InitializeParams, request)
  if (!params.ok) return invalidParams('Invalid params: initialize needs protocolVersion, capabilities and clientInfo.')
  const requested = params.value.protocolVersion
  const protocolVersion = (LEGACY_VERSIONS as readonly string[]).includes(requested) ? requested : LEGACY_VERSIONS[0]
  return { result: { protocolVersion, capabilities: { tools: {} }, serverInfo: SERVER_INFO } }
}

function ping(_c: Context<ApiEnv>, request: JsonRpcRequest): Outcome {
  return paramsOf(PingParams, request).ok ? { result: {} } : invalidParams('Invalid params: ping takes none.')
}

/** MCP 2026-07-28 Server › Discovery: what a client may choose from, before or instead of anything else. */
function discover(): Outcome {
  return { result: { supportedVersions: PROTOCOL_VERSIONS, capabilities: { tools: {} }, ...CACHE_HINTS } }
}

/** The 2025 revisions' methods; `initialize` and `ping` need no scope (a client connects, then learns what its tools need). */
const LEGACY_METHODS: Record<string, Method> = {
  initialize,
  ping,
  'tools/list': listTools,
  'tools/call': callTool,
}

/** 2026-07-28's methods; `server/discover` needs no scope. `ping` and `initialize` are gone from it. */
const MODERN_METHODS: Record<string, Method> = {
  'server/discover': discover,
  'tools/list': (c, request) => withCacheHints(listTools(c, request)),
  'tools/call': callTool,
}

function withCacheHints(outcome: Outcome): Outcome {
  return 'result' in outcome ? { result: { ...outcome.result, ...CACHE_HINTS } } : outcome
}

/** MCP 2026-07-28: every result says it is complete and names the server (Basic › Messages, `_meta`). */
function modernResult(outcome: Outcome): Outcome {
  if (!('result' in outcome)) return outcome
  return { result: { resultType: 'complete', ...outcome.result, _meta: { [META_KEYS.serverInfo]: SERVER_INFO } } }
}

const methodOf = (table: Record<string, Method>, name: string) => (Object.hasOwn(table, name) ? table[name] : undefined)

/** -32601, with HTTP 200 in the 2025 revisions and 404 in 2026-07-28 (Streamable HTTP › Protocol Version Header). */
function methodNotFound(c: Context, status: 200 | 404, request: JsonRpcRequest): Response {
  const error = { code: JSON_RPC_ERRORS.methodNotFound, message: `Method not found: ${request.method}` }
  return jsonRpcError(c, status, error, request.id)
}

function respond(c: Context, id: JsonRpcId, outcome: Outcome): Response {
  if (outcome instanceof Response) return outcome
  if ('error' in outcome) return jsonRpcError(c, 200, outcome.error, id)
  return c.json({ jsonrpc: '2.0', id, result: outcome.result }, 200, NO_STORE_HEADERS)
}

/**
 * A 2025 message. A notification (notifications/initialized, …/cancelled) or a response:
 * accepted, nothing to answer ("the server MUST return HTTP status code 202 Accepted with no
 * body"). This server sends no requests, so a response answers nothing and changes nothing.
 */
function legacy(c: Context<ApiEnv>, message: Message): Response {
  if (!('id' in message) || !('method' in message)) return c.body(null, 202)
  const method = methodOf(LEGACY_METHODS, message.method)
  if (!method) return methodNotFound(c, 200, message)
  return respond(c, message.id, method(c, message))
}

/**
 * A 2026-07-28 message: a notification is accepted (202); a response is refused ("The client MUST
 * NOT send JSON-RPC responses"); a request passes the standard headers (SEP-2243), then its
 * `_meta` (a missing required field is -32602 with 400), then finds its method (else 404 with
 * -32601, which tells a client this server speaks the revision but not the method).
 */
function modern(c: Context<ApiEnv>, message: Message): Response {
  if (!('method' in message)) {
    return jsonRpcError(c, 400, {
      code: JSON_RPC_ERRORS.invalidRequest,
      message: 'Invalid Request: a client sends requests and notifications only (MCP 2026-07-28).',
    })
  }
  if (!('id' in message)) return c.body(null, 202)
  const headers = standardHeaderProblem(c, message)
  if (headers) return headers
  if (!RequestEnvelope.safeParse(message.params?._meta).success) {
    const missing = `Invalid params: _meta must carry ${META_KEYS.protocolVersion} and ${META_KEYS.clientCapabilities} (an object), and ${META_KEYS.clientInfo} only as a name and a version.`
    return jsonRpcError(c, 400, { code: JSON_RPC_ERRORS.invalidParams, message: missing }, message.id)
  }
  const method = methodOf(MODERN_METHODS, message.method)
  if (!method) return methodNotFound(c, 404, message)
  return respond(c, message.id, modernResult(method(c, message)))
}

export const mcpPost: Handler<ApiEnv> = async (c) => {
  const problem = transportProblem(c)
  if (problem) return problem
  const message = await readMessage(c)
  if (message instanceof Response) return message
  const era = requestEra(c, message)
  if (era instanceof Response) return era
  return era === 'modern' ? modern(c, message) : legacy(c, message)
}
