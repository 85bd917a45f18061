/**
 * @module
 * `POST /api-token-auth/`: DRF's `obtain_auth_token` view, outside /api/ as in the tutorial; each
 * call issues a new key beside the user's others. `DELETE /api-token-auth/`: revokes the key that
 * authenticates it (django-rest-knox's logout), and only that one.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { authenticate } from '../auth/authenticate.ts'
import { jsonResponse } from '../http/openapi.ts'
import { DetailSchema, documentedField, FieldErrorsSchema, jsonOrFormBody } from './schemas.ts'

const CredentialsSchema = z
  .object({ username: documentedField('Required'), password: documentedField('Required') })
  .openapi('Credentials')

const ApiKeySchema = z
  .object({ token: z.string().openapi({ example: '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b' }) })
  .openapi('ApiKey')

export const obtainApiKeyRoute = createRoute({
  method: 'post',
  path: '/api-token-auth/',
  tags: ['DRF Token'],
  summary: 'Get a new `Token` key for a username and password (the user’s other keys keep working)',
  description:
    'Each call issues a new key (one per device): keys are stored only as digests, so an existing key cannot be returned as DRF does. A user holds at most 50 keys; issuing one more revokes the oldest.',
  request: {
    body: jsonOrFormBody(CredentialsSchema),
  },
  responses: {
    200: jsonResponse('The key', ApiKeySchema),
    400: jsonResponse('Missing fields, or `non_field_errors` for wrong credentials', FieldErrorsSchema),
    429: jsonResponse(
      'Too many login attempts from this address, or failed ones on this username from it (DRF Throttled)',
      DetailSchema,
    ),
  },
})

export const revokeApiKeyRoute = createRoute({
  method: 'delete',
  path: '/api-token-auth/',
  tags: ['DRF Token'],
  summary: 'Revoke the `Token` key that authenticates this request (log this device out)',
  description:
    'Only `Authorization: Token <key>` is accepted (an OAuth2 access token cannot revoke keys); the user’s other keys keep working.',
  security: [{ tokenKey: [] }],
  middleware: [authenticate(['token'])],
  responses: {
    204: { description: 'The key is revoked' },
    401: jsonResponse(
      'Missing or unknown key, or an inactive user (WWW-Authenticate: Token); a Bearer token counts as no credentials',
      DetailSchema,
    ),
  },
})
