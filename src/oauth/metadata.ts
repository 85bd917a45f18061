/**
 * @module
 * `GET /.well-known/oauth-authorization-server` (RFC 8414): what this server really supports.
 */
import { createRoute, type RouteHandler, z } from '@hono/zod-openapi'
import { config } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { CLIENT_AUTH_METHODS } from './client-auth.ts'
import { GRANTS } from './grants/index.ts'

const strings = z.array(z.string())

const MetadataSchema = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    revocation_endpoint: z.string(),
    introspection_endpoint: z.string(),
    scopes_supported: strings,
    response_types_supported: strings,
    response_modes_supported: strings,
    grant_types_supported: strings,
    token_endpoint_auth_methods_supported: strings,
    revocation_endpoint_auth_methods_supported: strings,
    introspection_endpoint_auth_methods_supported: strings,
    code_challenge_methods_supported: strings,
  })
  .openapi('ServerMetadata')

export const metadataRoute = createRoute({
  method: 'get',
  path: '/.well-known/oauth-authorization-server',
  tags: ['OAuth2'],
  summary: 'Authorization server metadata (RFC 8414)',
  responses: {
    200: {
      description: 'Metadata (RFC 8414 §2)',
      content: { 'application/json': { schema: MetadataSchema } },
    },
  },
})

export const metadata: RouteHandler<typeof metadataRoute, AppEnv> = (c) => {
  const settings = config(c)
  // RFC 8414 §2: the issuer is the server's https URL without query or fragment.
  const issuer = new URL(c.req.url).origin
  return c.json(
    {
      issuer,
      authorization_endpoint: `${issuer}/o/authorize/`,
      token_endpoint: `${issuer}/o/token/`,
      revocation_endpoint: `${issuer}/o/revoke-token/`,
      introspection_endpoint: `${issuer}/o/introspect/`,
      scopes_supported: Object.keys(settings.scopes),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: Object.keys(GRANTS).sort(),
      token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
      revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
      // Public clients cannot introspect: a client_id alone proves nothing.
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((method) => method !== 'none'),
      code_challenge_methods_supported: settings.pkceAllowPlain ? ['S256', 'plain'] : ['S256'],
    },
    200,
  )
}
