/**
 * @module
 * This Worker's own protected resources and their identity: the identifier under the issuer
 * (RFC 8707 §2, RFC 9728 §1.2) and the URL of each one's RFC 9728 metadata, which every Bearer
 * challenge names (§5.1). Three resources:
 * - the resource API, `<issuer>/api`: `/.well-known/oauth-protected-resource/api` (the
 *   path-inserted form); every Bearer challenge from /api/* points here;
 * - the MCP endpoint, `<issuer>/mcp`: `/.well-known/oauth-protected-resource/mcp`; every
 *   challenge from /mcp points here, where an MCP client starts its discovery;
 * - the whole origin, `<issuer>`: `/.well-known/oauth-protected-resource`, for clients that only
 *   know the host (the API and the OIDC UserInfo endpoint).
 * The resources are at the issuer's origin: an issuer path (DOT's `<origin>/o`) names the
 * authorization server only. The metadata documents themselves are served by
 * src/oauth/protected-resource.ts.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../types.ts'
import { issuerOrigin, knownIssuer } from './issuer.ts'

/** RFC 9728 §3.1: where a resource's metadata is, before its identifier's path. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource'

export type Resource = {
  /** The resource identifier's path below the issuer's origin (RFC 9728 §1.2: no query, no fragment). */
  path: '' | '/api' | '/mcp'
  name: string
}

export const API_RESOURCE: Resource = { path: '/api', name: 'Resource API' }

export const MCP_RESOURCE: Resource = { path: '/mcp', name: 'MCP endpoint' }

/** The scope an MCP client needs to list the endpoint's tools and call `hello` (src/mcp/tools.ts). */
export const MCP_TOOLS_SCOPE = 'read'

export const ORIGIN_RESOURCE: Resource = { path: '', name: 'Edge OAuth Toolkit' }

/** This Worker's own resources: the resource identifiers (RFC 8707) a token may be bound to, besides RESOURCES. */
export const OWN_RESOURCES: readonly Resource[] = [API_RESOURCE, MCP_RESOURCE, ORIGIN_RESOURCE]

/** The resource's identifier (RFC 8707 §2, RFC 9728 §1.2): at the issuer's origin, whatever the issuer's path. */
export function resourceIdentifier(issuer: string, resource: Resource): string {
  return issuerOrigin(issuer) + resource.path
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource identifier's path. */
function metadataUrl(issuer: string, resource: Resource): string {
  const identifier = new URL(resourceIdentifier(issuer, resource))
  return identifier.origin + PROTECTED_RESOURCE_WELL_KNOWN + identifier.pathname.replace(/\/$/, '')
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
