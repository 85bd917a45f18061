/**
 * @module
 * OIDC routes: discovery (OIDC Discovery 1.0 §4), JWKS (RFC 7517 §5) and UserInfo (OIDC Core §5.3).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { ENDPOINTS } from '../metadata.ts'
import { OAuthErrorSchema } from '../token.routes.ts'

const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
})

const JwksSchema = z
  .object({ keys: z.array(z.record(z.string(), z.string())) })
  .openapi('JWKS', { description: 'Public keys only' })

const UserinfoSchema = z
  .object({ sub: z.string() })
  .catchall(z.union([z.string(), z.boolean()]))
  .openapi('UserInfo', { example: { sub: '1', preferred_username: 'admin', email: 'admin@example.com' } })

export const openidConfigurationRoute = createRoute({
  method: 'get',
  path: ENDPOINTS.openidConfiguration,
  tags: ['OpenID Connect'],
  summary: 'OpenID Provider metadata',
  responses: { 200: json('OIDC Discovery 1.0 §3 metadata', z.record(z.string(), z.unknown())) },
})

export const jwksRoute = createRoute({
  method: 'get',
  path: ENDPOINTS.jwks,
  tags: ['OpenID Connect'],
  summary: 'Public keys that verify ID Tokens',
  responses: { 200: json('JWK set', JwksSchema) },
})

const userinfoResponses = {
  200: json('Claims of the granted scopes', UserinfoSchema),
  400: json('invalid_request (malformed Authorization header)', OAuthErrorSchema),
  401: json('No, unknown or expired access token', OAuthErrorSchema),
  403: json('insufficient_scope: the token lacks openid', OAuthErrorSchema),
}

export const userinfoGetRoute = createRoute({
  method: 'get',
  path: ENDPOINTS.userinfo,
  tags: ['OpenID Connect'],
  summary: 'Claims about the user of an access token',
  security: [{ bearer: [] }],
  responses: userinfoResponses,
})

export const userinfoPostRoute = createRoute({ ...userinfoGetRoute, method: 'post' })
