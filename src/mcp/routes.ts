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
    'One JSON-RPC 2.0 message per request (MCP 2025-11-25 / 2025-06-18): initialize, ping, tools/list, tools/call (`hello`). Headers: `Accept: application/json, text/event-stream`, `Content-Type: application/json`, `MCP-Protocol-Version` after initialize. GET and DELETE answer 405.',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: JsonRpcMessageSchema } } } },
  responses: {
    200: rpcError('The JSON-RPC response: a result, or an error (-32601 unknown method, -32602 invalid params)'),
    202: { description: 'A notification or response, accepted' },
    400: rpcError(
      'Parse error (-32700), not one JSON-RPC message or a batch (-32600), an unsupported MCP-Protocol-Version, a malformed Bearer header',
    ),
    401: rpcError(
      'No token, or an unknown or expired one: WWW-Authenticate: Bearer realm="mcp" with resource_metadata (RFC 9728 §5.1)',
    ),
    403: rpcError('A cross-origin Origin, or tools/* without the scope `read` (RFC 6750 §3.1 insufficient_scope)'),
    406: rpcError('Accept does not list both application/json and text/event-stream'),
    415: rpcError('The body is not application/json'),
  },
})
