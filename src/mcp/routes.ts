/**
 * @module
 * `POST /mcp` in the OpenAPI document. Registered for the documentation only: the endpoint reads
 * its body itself (src/mcp/transport.ts), since a JSON-RPC parse error must be -32700, not a
 * validator's refusal.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { jsonResponse } from '../http/openapi.ts'

const Id = z.union([z.string(), z.number().int()])

const JsonRpcMessageSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: Id.optional().openapi({ description: 'Absent for a notification.' }),
    method: z.string(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('JsonRpcMessage', { example: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hello' } } })

const JsonRpcResponseSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: Id.nullable(),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.number().int(), message: z.string() }).optional(),
  })
  .openapi('JsonRpcResponse')

const rpcError = (description: string) => jsonResponse(description, JsonRpcResponseSchema)

export const mcpRoute = createRoute({
  method: 'post',
  path: '/mcp',
  tags: ['MCP'],
  summary: 'MCP endpoint (Streamable HTTP, stateless, JSON responses)',
  description:
    'One JSON-RPC 2.0 message per request, read by the revision it names. MCP 2026-07-28: server/discover, tools/list, tools/call; every request carries `_meta` (`io.modelcontextprotocol/protocolVersion`, `io.modelcontextprotocol/clientCapabilities`) and the headers `MCP-Protocol-Version`, `Mcp-Method` and, for tools/call, `Mcp-Name`. MCP 2025-11-25 / 2025-06-18: initialize, ping, tools/list, tools/call, `MCP-Protocol-Version` after initialize. Tools: `hello` (scope `read`), `trigger_build` (scope `write`, a user). Both: `Accept: application/json, text/event-stream`, `Content-Type: application/json`; GET and DELETE answer 405.',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: JsonRpcMessageSchema } } } },
  responses: {
    200: rpcError(
      'The JSON-RPC response: a result, or an error (-32602 invalid params; -32601 an unknown method of a 2025 revision)',
    ),
    202: { description: 'A notification (or, in a 2025 revision, a response), accepted' },
    400: rpcError(
      'Parse error (-32700), not one JSON-RPC message or a batch (-32600), an unsupported protocol version (-32022), headers that do not match the body (-32020), a 2026-07-28 request without its `_meta` fields (-32602), a malformed Bearer header',
    ),
    401: rpcError(
      'No token, or an unknown or expired one: WWW-Authenticate: Bearer realm="mcp" with resource_metadata (RFC 9728 §5.1)',
    ),
    403: rpcError(
      'A cross-origin Origin, a tool call or list without its scope (RFC 6750 §3.1 insufficient_scope), or trigger_build for a token without a user',
    ),
    404: rpcError('A method 2026-07-28 does not have (-32601)'),
    406: rpcError('Accept does not list both application/json and text/event-stream'),
    415: rpcError('The body is not application/json'),
  },
})
