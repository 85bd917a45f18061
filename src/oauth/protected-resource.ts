/**
 * @module
 * RFC 9728 OAuth 2.0 Protected Resource Metadata for the resources this Worker serves
 * (src/resource/resources.ts): what a client (an MCP client, say) reads to learn which
 * authorization server protects a resource and which scopes to ask for, each at its RFC 9728
 * §3.1 well-known address. The authorization server is this Worker itself, so
 * `authorization_servers` is our issuer.
 */
import { createRoute, type RouteHandler, z } from '@hono/zod-openapi'
import type { Config } from '../config.ts'
import { DPOP_ALGORITHMS } from '../crypto/dpop.ts'
import { jsonResponse } from '../http/openapi.ts'
import { config } from '../lib/request-context.ts'
import { issuer, issuerOrigin } from '../resource/issuer.ts'
import {
  API_RESOURCE,
  MCP_RESOURCE,
  MCP_TOOLS_SCOPE,
  ORIGIN_RESOURCE,
  PROTECTED_RESOURCE_WELL_KNOWN,
  type Resource,
  resourceIdentifier,
} from '../resource/resources.ts'
import type { AppEnv } from '../types.ts'
import { OPENID_SCOPE, SCOPE_CLAIMS } from './oidc/claims.ts'
import { INTROSPECTION_SCOPE, OFFLINE_ACCESS_SCOPE } from './scopes.ts'

const OIDC_SCOPES = new Set<string>([OPENID_SCOPE, ...Object.keys(SCOPE_CLAIMS)])

// `introspection` reaches the introspection endpoint, not a resource, and `offline_access` asks the
// authorization server for a refresh token: neither is a scope of a resource.
const NOT_RESOURCE_SCOPES = new Set([INTROSPECTION_SCOPE, OFFLINE_ACCESS_SCOPE])
const grantable = (config: Config) => Object.keys(config.scopes).filter((scope) => !NOT_RESOURCE_SCOPES.has(scope))

/** RFC 9728 §2 scopes_supported: the scopes a client asks for to reach the resource. */
export function scopesSupported(resource: Resource, config: Config): string[] {
  // The API's own scopes: OIDC's are for the id_token and UserInfo.
  if (resource === API_RESOURCE) return grantable(config).filter((scope) => !OIDC_SCOPES.has(scope))
  // The minimal scope for basic use, as the MCP authorization spec wants scopes_supported and the
  // 401's scope; a tool needing more (trigger_build: `write`) says so in its 403 and the client
  // steps up (SEP-2350).
  if (resource === MCP_RESOURCE) return grantable(config).filter((scope) => scope === MCP_TOOLS_SCOPE)
  return grantable(config)
}

/** RFC 9728 §2. */
function protectedResourceMetadata(issuer: string, config: Config, resource: Resource): Record<string, unknown> {
  return {
    // §3.3: identical to the identifier the metadata URL was built from.
    resource: resourceIdentifier(issuer, resource),
    authorization_servers: [issuer],
    scopes_supported: scopesSupported(resource, config),
    // RFC 6750 §2.1 only: tokens in a query (§2.3) or form body (§2.2) are not read (src/auth/bearer.ts).
    bearer_methods_supported: ['header'],
    // RFC 9728 §2: DPoP-bound tokens are accepted with proofs signed with these (RFC 9449 §7);
    // Bearer tokens too, so DPoP is not required.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    dpop_bound_access_tokens_required: false,
    resource_name: resource.name,
    resource_documentation: `${issuerOrigin(issuer)}/docs`,
  }
}

// Changes only with a deploy, as the authorization server's own metadata.
const METADATA_CACHE = { 'Cache-Control': 'public, max-age=3600' }

const ProtectedResourceMetadataSchema = z.record(z.string(), z.unknown()).openapi('ProtectedResourceMetadata')

function metadataRoute(resource: Resource) {
  return createRoute({
    method: 'get',
    path: PROTECTED_RESOURCE_WELL_KNOWN + resource.path,
    tags: ['OAuth2'],
    summary: `Protected resource metadata (RFC 9728): ${resource.name}`,
    responses: { 200: jsonResponse('Metadata (RFC 9728 §2)', ProtectedResourceMetadataSchema) },
  })
}

export const originMetadataRoute = metadataRoute(ORIGIN_RESOURCE)
export const apiMetadataRoute = metadataRoute(API_RESOURCE)
export const mcpMetadataRoute = metadataRoute(MCP_RESOURCE)

function metadataHandler(resource: Resource): RouteHandler<ReturnType<typeof metadataRoute>, AppEnv> {
  return (c) => c.json(protectedResourceMetadata(issuer(c), config(c), resource), 200, METADATA_CACHE)
}

export const originMetadata = metadataHandler(ORIGIN_RESOURCE)
export const apiMetadata = metadataHandler(API_RESOURCE)
export const mcpMetadata = metadataHandler(MCP_RESOURCE)
