/**
 * @module
 * `POST /o/token/` (RFC 6749 §3.2): one schema validates the form and documents it.
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { OAuthError } from '../http/oauth.ts'
import { jsonResponse } from '../http/openapi.ts'
import { FORM_URLENCODED, mediaType } from '../http/semantics.ts'

/**
 * RFC 6749 §3.2 (and RFC 7009 §2.1, RFC 7662 §2.1): the body is form-urlencoded, nothing else.
 * Hono's form validator would read multipart too, and a JSON body would skip it.
 */
export const formEncodedOnly: MiddlewareHandler = async (c, next) => {
  if (mediaType(c) !== FORM_URLENCODED) {
    throw new OAuthError('invalid_request', `The request body must be ${FORM_URLENCODED}.`)
  }
  await next()
}

const param = (description: string) => z.string().optional().openapi({ description })

/** RFC 8707 §2 `resource`: an absolute URI, sent once per resource the token is for. */
export const resourceParam = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .openapi({
    description:
      'RFC 8707: a resource the token is for (absolute URI, no fragment); repeat for several. Defaults to DEFAULT_AUDIENCE.',
  })

/**
 * How a client authenticates in the body (RFC 6749 §2.3.1, RFC 7521 §4.2), besides HTTP Basic:
 * the same fields at every endpoint that authenticates clients.
 */
export const clientAuthenticationParams = {
  client_id: param('client_secret_post, or a public client'),
  client_secret: param('client_secret_post'),
  client_assertion_type: param('private_key_jwt: urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
  client_assertion: param('private_key_jwt (RFC 7523 §2.2): a single-use JWT signed with one of the client’s keys'),
}

const TokenRequestSchema = z
  .object({
    grant_type: z.string().min(1).openapi({
      description:
        'authorization_code, client_credentials, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:jwt-bearer (an ID-JAG) or urn:ietf:params:oauth:grant-type:token-exchange (for an ID-JAG)',
      example: 'authorization_code',
    }),
    scope: param('Space-separated scopes; defaults to DEFAULT_SCOPES.'),
    username: param('password grant'),
    password: param('password grant'),
    refresh_token: param('refresh_token grant'),
    code: param('authorization_code grant'),
    redirect_uri: param('authorization_code grant'),
    code_verifier: param('authorization_code grant (PKCE, RFC 7636)'),
    device_code: param('device_code grant (RFC 8628 §3.4)'),
    resource: resourceParam,
    assertion: param('jwt-bearer grant (RFC 7523 §2.1): an ID-JAG from a trusted identity provider'),
    subject_token: param('token-exchange grant (RFC 8693 §2.1): an id_token this server issued to the client'),
    subject_token_type: param('token-exchange grant: urn:ietf:params:oauth:token-type:id_token'),
    requested_token_type: param('token-exchange grant: urn:ietf:params:oauth:token-type:id-jag'),
    audience: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .openapi({ description: 'token-exchange grant: the issuer of the authorization server the ID-JAG is for' }),
    actor_token: param('token-exchange grant: not supported (refused)'),
    actor_token_type: param('token-exchange grant: not supported (refused)'),
    ...clientAuthenticationParams,
  })
  .openapi('TokenRequest')

const TokenResponseSchema = z
  .object({
    access_token: z.string().openapi({ description: 'The access token; after a token exchange, the ID-JAG' }),
    expires_in: z.number().int(),
    token_type: z.enum(['Bearer', 'DPoP', 'N_A']).openapi({
      description:
        'DPoP (RFC 9449 §5) when the request carried a DPoP proof; N_A after a token exchange (RFC 8693 §2.2.1)',
    }),
    issued_token_type: z
      .string()
      .optional()
      .openapi({ description: 'After a token exchange: urn:ietf:params:oauth:token-type:id-jag' }),
    scope: z.string().optional(),
    refresh_token: z.string().optional(),
    id_token: z.string().optional().openapi({ description: 'OIDC Core §3.1.3.3: when openid was granted' }),
  })
  .openapi('TokenResponse')

const OAuthErrorSchema = z
  .object({
    error: z.string().openapi({ example: 'invalid_grant' }),
    error_description: z.string().optional(),
  })
  .openapi('OAuthError')

/** An error answer in the OAuth dialect, documented as `description`. */
export const oauthError = (description: string) => jsonResponse(description, OAuthErrorSchema)

/** Every endpoint that authenticates clients (src/oauth/client-auth.ts): the 429 of its limits. */
export const CLIENT_AUTH_LIMITED =
  'slow_down: too many failed client authentications for this client or from this address (Retry-After)'

export const tokenRoute = createRoute({
  method: 'post',
  path: '/o/token/',
  tags: ['OAuth2'],
  summary: 'Issue tokens',
  security: [{ clientBasic: [] }],
  middleware: [formEncodedOnly],
  request: {
    body: {
      required: true,
      content: { [FORM_URLENCODED]: { schema: TokenRequestSchema } },
    },
  },
  responses: {
    200: jsonResponse('Tokens (RFC 6749 §5.1)', TokenResponseSchema),
    400: oauthError(
      'invalid_request (also: a body that is not form-urlencoded), invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope, invalid_target (RFC 8707: a resource unknown, malformed or not granted); device grant (RFC 8628 §3.5): authorization_pending, slow_down, access_denied, expired_token; DPoP (RFC 9449 §5, §8): invalid_dpop_proof, use_dpop_nonce (with DPoP-Nonce)',
    ),
    401: oauthError('invalid_client'),
    405: oauthError('invalid_request: only POST (Allow: POST)'),
    413: oauthError('invalid_request: body over 64 KiB'),
    429: oauthError(
      'slow_down: too many password attempts from this client IP, or failed ones on this username from it; or too many failed client authentications for this client or from this address (Retry-After)',
    ),
    503: oauthError('temporarily_unavailable: storage is down (Retry-After)'),
  },
})
