/**
 * @module
 * The MCP endpoint's one route, `POST /mcp`: a stateless MCP server over the Streamable HTTP
 * transport, answering each request with one JSON object (no SSE stream, no session). It
 * speaks the lifecycle (`initialize`, `ping`) and one tool, `hello`, which answers as DOT's
 * /api/hello does; `tools/*` need the scope `read` (MCP_TOOLS_SCOPE).
 */
import type { Context, Handler } from 'hono'
import type { ZodType } from 'zod'
import { HELLO } from '../api/hello.ts'
import type { ApiEnv } from '../auth/env.ts'
import { scopeRefusal } from '../auth/permissions.ts'
import { JSON_RPC_ERRORS, type JsonRpcId, jsonRpcError } from '../http/jsonrpc.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { MCP_TOOLS_SCOPE } from '../oauth/protected-resource.ts'
import {
  CallToolParams,
  InitializeParams,
  type JsonRpcRequest,
  ListToolsParams,
  PingParams,
  PROTOCOL_VERSIONS,
} from './schemas.ts'
import { readMessage, transportProblem } from './transport.ts'

const SERVER_INFO = { name: 'edge-oauth-toolkit', title: 'Edge OAuth Toolkit', version: '0.1.0' }

const HELLO_TOOL = {
  name: 'hello',
  title: 'Hello',
  description: 'Answers "Hello, OAuth2!", as /api/hello does: proof that the call carried a valid token.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  annotations: { readOnlyHint: true, openWorldHint: false },
}

type Result = Record<string, unknown>
/** A method's outcome: its result, a JSON-RPC error, or an HTTP answer (a scope refusal). */
type Outcome = { result: Result } | { error: { code: number; message: string } } | Response

const invalidParams = (message: string): Outcome => ({ error: { code: JSON_RPC_ERRORS.invalidParams, message } })

/** The request's params read by `schema`, or undefined (then the method answers invalid params). */
function paramsOf<T>(schema: ZodType<T>, request: JsonRpcRequest): { ok: true; value: T } | { ok: false } {
  const parsed = schema.safeParse(request.params)
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false }
}

/**
 * MCP lifecycle, version negotiation: the client's version when spoken here, else the newest
 * spoken here (the client then decides whether it can go on).
 */
function initialize(request: JsonRpcRequest): Outcome {
  const params = paramsOf(InitializeParams, request)
  if (!params.ok) return invalidParams('Invalid params: initialize needs protocolVersion, capabilities and clientInfo.')
  const requested = params.value.protocolVersion
  const protocolVersion = (PROTOCOL_VERSIONS as readonly string[]).includes(requested)
    ? requested
    : PROTOCOL_VERSIONS[0]
  return { result: { protocolVersion, capabilities: { tools: {} }, serverInfo: SERVER_INFO } }
}

function ping(request: JsonRpcRequest): Outcome {
  return paramsOf(PingParams, request).ok ? { result: {} } : invalidParams('Invalid params: ping takes none.')
}

function listTools(request: JsonRpcRequest): Outcome {
  const params = paramsOf(ListToolsParams, request)
  if (!params.ok) return invalidParams('Invalid params: cursor must be a string.')
  // One page: no cursor this server handed out can exist.
  if (params.value?.cursor !== undefined) return invalidParams('Invalid params: unknown cursor.')
  return { result: { tools: [HELLO_TOOL] } }
}

function callTool(request: JsonRpcRequest): Outcome {
  const params = paramsOf(CallToolParams, request)
  if (!params.ok) return invalidParams('Invalid params: tools/call needs a tool name and object arguments.')
  const { name, arguments: args = {} } = params.value
  if (name !== HELLO_TOOL.name) return invalidParams(`Unknown tool: ${name}`)
  // Arguments the input schema refuses are a tool execution error, which the model can read
  // and correct (MCP 2025-11-25, Server › Tools › Error Handling), not a protocol error.
  if (Object.keys(args).length > 0) {
    return { result: { content: [{ type: 'text', text: 'The tool hello takes no arguments.' }], isError: true } }
  }
  return { result: { content: [{ type: 'text', text: HELLO }], isError: false } }
}

/** Method name → its answer; `tools/*` first pass DOT's TokenHasScope for MCP_TOOLS_SCOPE. */
const METHODS: Record<string, (c: Context<ApiEnv>, request: JsonRpcRequest) => Outcome> = {
  initialize: (_c, request) => initialize(request),
  ping: (_c, request) => ping(request),
  'tools/list': (c, request) => scopeRefusal(c, [MCP_TOOLS_SCOPE]) ?? listTools(request),
  'tools/call': (c, request) => scopeRefusal(c, [MCP_TOOLS_SCOPE]) ?? callTool(request),
}

function respond(c: Context, id: JsonRpcId, outcome: Outcome): Response {
  if (outcome instanceof Response) return outcome
  if ('error' in outcome) return jsonRpcError(c, 200, outcome.error.code, outcome.error.message, id)
  return c.json({ jsonrpc: '2.0', id, result: outcome.result }, 200, NO_STORE_HEADERS)
}

export const mcpPost: Handler<ApiEnv> = async (c) => {
  const problem = transportProblem(c)
  if (problem) return problem
  const message = await readMessage(c)
  if (message instanceof Response) return message
  // A notification (notifications/initialized, …/cancelled) or a response: accepted, nothing to
  // answer ("the server MUST return HTTP status code 202 Accepted with no body"). This server
  // sends no requests, so a response answers nothing and changes nothing.
  if (!('id' in message) || !('method' in message)) return c.body(null, 202)
  const method = Object.hasOwn(METHODS, message.method) ? METHODS[message.method] : undefined
  if (!method) {
    return jsonRpcError(c, 200, JSON_RPC_ERRORS.methodNotFound, `Method not found: ${message.method}`, message.id)
  }
  return respond(c, message.id, method(c, message))
}
