/**
 * @module
 * `POST /o/revoke-token/` (RFC 7009) and `POST /o/introspect/` (RFC 7662).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { jsonResponse } from '../http/openapi.ts'
import { CLIENT_AUTH_LIMITED, clientAuthenticationParams, formEncodedOnly, oauthError } from './token.routes.ts'

const param = (description: string) => z.string().optional().openapi({ description })

export const TokenActionSchema = z
  .object({
    token: z.string().min(1).openapi({ description: 'The access or refresh token' }),
    token_type_hint: param('access_token or refresh_token (a hint only)'),
    ...clientAuthenticationParams,
  })
  .openapi('TokenActionRequest')

function formRequest() {
  return {
    body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: TokenActionSchema } } },
  } as const
}

function revocationRoute(path: string, hide: boolean) {
  return createRoute({
    method: 'post',
    path,
    hide,
    tags: ['OAuth2'],
    summary: 'Revoke a token (RFC 7009)',
    security: [{ clientBasic: [] }],
    middleware: [formEncodedOnly],
    request: formRequest(),
    responses: {
      200: { description: 'Revoked, or the token was unknown (RFC 7009 §2.2)' },
      400: oauthError('invalid_request'),
      401: oauthError('invalid_client'),
      405: oauthError('invalid_request: only POST (Allow: POST)'),
      429: oauthError(CLIENT_AUTH_LIMITED),
    },
  })
}

export const revokeRoute = revocationRoute('/o/revoke-token/', false)
/** DOT's own spelling of the same endpoint. */
export const revokeAliasRoute = revocationRoute('/o/revoke_token/', true)

const IntrospectionSchema = z
  .object({
    active: z.boolean(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    username: z.string().optional(),
    token_type: z.string().optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
    sub: z.string().optional(),
    aud: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .openapi({ description: 'RFC 8707: the resources the token is for (one: a string)' }),
  })
  .openapi('Introspection')

const INTROSPECTION_CALLERS: Record<string, string[]>[] = [{ clientBasic: [] }, { bearer: ['introspection'] }]

export const introspectRoute = createRoute({
  method: 'post',
  path: '/o/introspect/',
  tags: ['OAuth2'],
  summary: 'Introspect a token (RFC 7662)',
  description:
    'Callers: a designated resource server (application flag `can_introspect`, set by staff), by its client ' +
    'credentials or a Bearer token of it with the `introspection` scope, learns about any token (tied to its ' +
    'own RFC 8707 resource, `createapplication --resource`: any token for that resource); any other ' +
    'confidential client only about its own tokens (`{"active": false}` for the rest).',
  security: INTROSPECTION_CALLERS,
  middleware: [formEncodedOnly],
  request: formRequest(),
  responses: {
    200: jsonResponse('Token state', IntrospectionSchema),
    400: oauthError('invalid_request'),
    401: oauthError('invalid_client: no or wrong caller credentials (RFC 7662 §2.3)'),
    403: oauthError('insufficient_scope: a Bearer token without the introspection right'),
    405: oauthError('invalid_request: only POST (Allow: POST)'),
    429: oauthError(CLIENT_AUTH_LIMITED),
  },
})
