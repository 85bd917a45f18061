/**
 * @module
 * `POST /api-token-auth/`: DRF's `obtain_auth_token` view, outside /api/ as in the tutorial.
 */
import { createRoute, z } from '@hono/zod-openapi'
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
  summary: 'Get a `Token` key for a username and password (replaces the user’s previous key)',
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
