/**
 * @module
 * `POST /o/par/` (RFC 9126 §2): one schema documents the form; the handler reads the
 * authorization request's parameters as sent (src/oauth/authorization/params.ts).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { jsonResponse } from '../http/openapi.ts'
import { FORM_URLENCODED } from '../http/semantics.ts'
import { ENDPOINTS } from './metadata.ts'
import { clientAuthenticationParams, formEncodedOnly, oauthError, resourceParam } from './token.routes.ts'

const param = (description: string) => z.string().optional().openapi({ description })

const PushedAuthorizationRequestSchema = z
  .object({
    ...clientAuthenticationParams,
    response_type: param('code'),
    redirect_uri: param('One of the client’s registered redirect URIs'),
    scope: param('Space-separated scopes; defaults to DEFAULT_SCOPES.'),
    state: param('Echoed in the authorization response'),
    code_challenge: param('RFC 7636 (required of public clients)'),
    code_challenge_method: param('S256'),
    nonce: param('OIDC Core §3.1.2.1'),
    prompt: param('OIDC Core §3.1.2.1: none, login, consent, select_account'),
    max_age: param('OIDC Core §3.1.2.1'),
    login_hint: param('OIDC Core §3.1.2.1'),
    resource: resourceParam,
  })
  .openapi('PushedAuthorizationRequest')

const PushedAuthorizationResponseSchema = z
  .object({
    request_uri: z.string().openapi({ example: 'urn:ietf:params:oauth:request_uri:epr_…' }),
    expires_in: z.number().int().openapi({ example: 300 }),
  })
  .openapi('PushedAuthorizationResponse')

export const pushedAuthorizationRoute = createRoute({
  method: 'post',
  path: ENDPOINTS.pushedAuthorization,
  tags: ['OAuth2'],
  summary: 'Push an authorization request (RFC 9126)',
  description:
    'The client authenticates as at the token endpoint, then sends the browser to /o/authorize/ with only ' +
    'client_id and the request_uri, which serves one authorization response before expires_in.',
  security: [{ clientBasic: [] }],
  middleware: [formEncodedOnly],
  request: {
    body: { required: true, content: { [FORM_URLENCODED]: { schema: PushedAuthorizationRequestSchema } } },
  },
  responses: {
    201: jsonResponse('The request_uri (RFC 9126 §2.2)', PushedAuthorizationResponseSchema),
    400: oauthError(
      'invalid_request (also: a request_uri, a redirect_uri that is not the client’s), unauthorized_client, unsupported_response_type, invalid_scope, invalid_target (RFC 9126 §2.3)',
    ),
    401: oauthError('invalid_client: the client did not authenticate'),
    405: oauthError('invalid_request: only POST (Allow: POST)'),
    413: oauthError('invalid_request: body over 64 KiB'),
    503: oauthError('temporarily_unavailable: storage is down (Retry-After)'),
  },
})
