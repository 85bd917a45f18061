/**
 * @module
 * The MCP endpoint at /mcp (JSON-RPC dialect): a Streamable HTTP MCP server protected as the
 * MCP authorization spec asks, by this Worker's own tokens, and described by its RFC 9728
 * metadata (MCP_RESOURCE, /.well-known/oauth-protected-resource/mcp). POST only: GET (no SSE
 * stream is offered) and DELETE (there are no sessions to end) get 405 with `Allow`.
 */
import { authenticate } from '../auth/authenticate.ts'
import type { ApiEnv } from '../auth/env.ts'
import type { Protection } from '../auth/responses.ts'
import { createJsonRpcRouter, JSON_RPC_ERRORS, jsonRpc, jsonRpcError } from '../http/jsonrpc.ts'
import { answerOtherMethods } from '../http/router.ts'
import { config } from '../lib/request-context.ts'
import { scopesSupported } from '../oauth/protected-resource.ts'
import { MCP_RESOURCE } from '../resource/resources.ts'
import { mcpPost } from './handlers.ts'
import { mcpRoute } from './routes.ts'
import { rejectCrossOrigin } from './transport.ts'

const MCP_PATH = mcpRoute.path

/**
 * What /mcp protects: its refusals carry RFC 6750 challenges naming MCP_RESOURCE's metadata
 * (and, on a 401, the scopes to ask for), with a JSON-RPC error as the body.
 */
const MCP_PROTECTION: Protection = {
  resource: MCP_RESOURCE,
  realm: 'mcp',
  challengeScopes: (c) => scopesSupported(MCP_RESOURCE, config(c)),
  refuse: (c, status, message, headers) =>
    jsonRpcError(c, status, { code: JSON_RPC_ERRORS.serverError, message }, null, headers),
}

export const mcpRouter = createJsonRpcRouter<ApiEnv>([MCP_PATH])

mcpRouter.use(MCP_PATH, rejectCrossOrigin())
// OAuth access tokens only (Bearer, or DPoP-bound: RFC 9449 §7). DRF `Token` keys are not scoped, never expire and belong to no client
// or resource, so they cannot say that the user let this MCP client act at this endpoint; browser
// sessions are not read either: a cookie would let any page the user visits drive the tools
// (MCP's authorization spec: the client sends an access token issued for this resource).
mcpRouter.use(MCP_PATH, authenticate(['bearer', 'dpop'], MCP_PROTECTION))
mcpRouter.openAPIRegistry.registerPath(mcpRoute)
mcpRouter.post(mcpRoute.path, mcpPost)
answerOtherMethods(mcpRouter, jsonRpc)
