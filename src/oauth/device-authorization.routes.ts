/**
 * @module
 * `POST /o/device-authorization/` (RFC 8628 §3.1, §3.2): one schema validates the form and documents it.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { jsonResponse } from '../http/openapi.ts'
import { FORM_URLENCODED } from '../http/semantics.ts'
import { clientAuthenticationParams, formEncodedOnly, oauthError, resourceParam } from './token.routes.ts'

const param = (description: string) => z.string().optional().openapi({ description })

const DeviceAuthorizationRequestSchema = z
  .object({
    scope: param('Space-separated scopes; defaults to DEFAULT_SCOPES.'),
    resource: resourceParam,
    ...clientAuthenticationParams,
  })
  .openapi('DeviceAuthorizationRequest')

const DeviceAuthorizationResponseSchema = z
  .object({
    device_code: z.string(),
    user_code: z.string().openapi({ example: 'WDJB-MJHT' }),
    verification_uri: z.string(),
    verification_uri_complete: z.string(),
    expires_in: z.number().int(),
    interval: z.number().int(),
  })
  .openapi('DeviceAuthorizationResponse')

export const deviceAuthorizationRoute = createRoute({
  method: 'post',
  path: '/o/device-authorization/',
  tags: ['OAuth2'],
  summary: 'Start a device authorization (RFC 8628)',
  security: [{ clientBasic: [] }],
  middleware: [formEncodedOnly],
  request: {
    body: {
      required: true,
      content: { [FORM_URLENCODED]: { schema: DeviceAuthorizationRequestSchema } },
    },
  },
  responses: {
    200: jsonResponse('Device and user codes (RFC 8628 §3.2)', DeviceAuthorizationResponseSchema),
    400: oauthError(
      'invalid_request, unauthorized_client (the device grant is not allowed), invalid_scope, invalid_target (RFC 8707: an unknown or malformed resource)',
    ),
    401: oauthError('invalid_client'),
    405: oauthError('invalid_request: only POST (Allow: POST)'),
    413: oauthError('invalid_request: body over 64 KiB'),
    429: oauthError(
      'slow_down: too many device authorization requests, or failed client authentications, for this client or from this address (Retry-After)',
    ),
    503: oauthError('temporarily_unavailable: storage is down (Retry-After)'),
  },
})
