/**
 * @module
 * OIDC routes: discovery (OIDC Discovery 1.0 §4), JWKS (RFC 7517 §5) and UserInfo (OIDC Core §5.3).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { jsonResponse } from '../../http/openapi.ts'
import { ENDPOINTS } from '../metadata.ts'
import { oauthError } from '../token.routes.ts'

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
  responses: { 200: jsonResponse('OIDC Discovery 1.0 §3 metadata', z.record(z.string(), z.unknown())) },
})

export const jwksRoute = createRoute({
  method: 'get',
  path: ENDPOINTS.jwks,
  tags: ['OpenID Connect'],
  summary: 'Public keys that verify ID Tokens',
  responses: { 200: jsonResponse('JWK set', JwksSchema) },
})

const userinfoResponses = {
  200: jsonResponse('Claims of the granted scopes', UserinfoSchema),
  400: oauthError('invalid_request (malformed Authorization header)'),
  401: oauthError('No, unknown or expired access token'),
  403: oauthError('insufficient_scope: the token lacks openid'),
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
