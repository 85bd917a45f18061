/**
 * @module
 * RFC 9728 OAuth 2.0 Protected Resource Metadata for the resources this Worker serves: what a
 * client (an MCP client, say) reads to learn which authorization server protects a resource and
 * which scopes to ask for. Three resources, each at its RFC 9728 §3.1 well-known address:
 * - the resource API, `<issuer>/api`: `/.well-known/oauth-protected-resource/api` (the
 *   path-inserted form); every Bearer challenge from /api/* points here (§5.1);
 * - the MCP endpoint, `<issuer>/mcp`: `/.well-known/oauth-protected-resource/mcp`; every
 *   challenge from /mcp points here, where an MCP client starts its discovery;
 * - the whole origin, `<issuer>`: `/.well-known/oauth-protected-resource`, for clients that only
 *   know the host (the API and the OIDC UserInfo endpoint).
 * The authorization server is this Worker itself, so `authorization_servers` is our issuer. The
 * resources are at the issuer's origin (`<issuer>` above): an issuer path (DOT's `<origin>/o`)
 * names the authorization server only.
 */
import { createRoute, type RouteHandler, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Config } from '../config.ts'
import { jsonResponse } from '../http/openapi.ts'
import { config } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { issuer, issuerOrigin, knownIssuer } from './issuer.ts'
import { OPENID_SCOPE, SCOPE_CLAIMS } from './oidc/claims.ts'
import { INTROSPECTION_SCOPE, OFFLINE_ACCESS_SCOPE } from './scopes.ts'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'
const OIDC_SCOPES = new Set<string>([OPENID_SCOPE, ...Object.keys(SCOPE_CLAIMS)])

export type Resource = {
  /** The resource identifier's path below the issuer (RFC 9728 §1.2: no query, no fragment). */
  path: '' | '/api' | '/mcp'
  name: string
  /** RFC 9728 §2 scopes_supported: the scopes a client asks for to reach this resource. */
  scopes: (config: Config) => string[]
}

// `introspection` reaches the introspection endpoint, not a resource, and `offline_access` asks the
// authorization server for a refresh token: neither is a scope of a resource.
const NOT_RESOURCE_SCOPES = new Set([INTROSPECTION_SCOPE, OFFLINE_ACCESS_SCOPE])
const grantable = (config: Config) => Object.keys(config.scopes).filter((scope) => !NOT_RESOURCE_SCOPES.has(scope))

export const API_RESOURCE: Resource = {
  path: '/api',
  name: 'Resource API',
  // The API's own scopes: OIDC's are for the id_token and UserInfo.
  scopes: (config) => grantable(config).filter((scope) => !OIDC_SCOPES.has(scope)),
}

/** The scope an MCP client needs to list the endpoint's tools and call `hello` (src/mcp/tools.ts). */
export const MCP_TOOLS_SCOPE = 'read'

export const MCP_RESOURCE: Resource = {
  path: '/mcp',
  name: 'MCP endpoint',
  // The minimal scope for basic use, as the MCP authorization spec wants scopes_supported and the
  // 401's scope; a tool needing more (trigger_build: `write`) says so in its 403 and the client
  // steps up (SEP-2350).
  scopes: (config) => grantable(config).filter((scope) => scope === MCP_TOOLS_SCOPE),
}

const ORIGIN_RESOURCE: Resource = { path: '', name: 'Edge OAuth Toolkit', scopes: grantable }

/** This Worker's own resources: the resource identifiers (RFC 8707) a token may be bound to, besides RESOURCES. */
export const OWN_RESOURCES: readonly Resource[] = [API_RESOURCE, MCP_RESOURCE, ORIGIN_RESOURCE]

/** The resource's identifier (RFC 8707 §2, RFC 9728 §1.2): at the issuer's origin, whatever the issuer's path. */
export function resourceIdentifier(issuer: string, resource: Resource): string {
  return issuerOrigin(issuer) + resource.path
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource identifier's path. */
function metadataUrl(issuer: string, resource: Resource): string {
  const identifier = new URL(resourceIdentifier(issuer, resource))
  return identifier.origin + WELL_KNOWN + identifier.pathname.replace(/\/$/, '')
}

/**
 * The URL of the resource's metadata for a `resource_metadata` challenge parameter (RFC 9728
 * §5.1), or null when the issuer is unknown (ISSUER unset on a public host): the 401 then goes
 * out without it rather than naming a host taken from the request.
 */
export function resourceMetadataUrl<E extends AppEnv>(c: Context<E>, resource: Resource): string | null {
  const known = knownIssuer(c)
  return known === null ? null : metadataUrl(known, resource)
}

/** RFC 9728 §2. */
function protectedResourceMetadata(issuer: string, config: Config, resource: Resource): Record<string, unknown> {
  return {
    // §3.3: identical to the identifier the metadata URL was built from.
    resource: resourceIdentifier(issuer, resource),
    authorization_servers: [issuer],
    scopes_supported: resource.scopes(config),
    // RFC 6750 §2.1 only: tokens in a query (§2.3) or form body (§2.2) are not read (src/auth/bearer.ts).
    bearer_methods_supported: ['header'],
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
    path: WELL_KNOWN + resource.path,
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
