/**
 * @module
 * `POST /o/register/` (RFC 7591 §3) and the client configuration endpoint
 * `GET|PUT|DELETE /o/register/{client_id}/` (RFC 7592 §2).
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { OAuthError } from '../http/oauth.ts'
import { jsonResponse } from '../http/openapi.ts'
import { mediaType } from '../http/semantics.ts'
import { ENDPOINTS } from './metadata.ts'
import { oauthError } from './token.routes.ts'

const JSON_MEDIA_TYPE = 'application/json'

/** RFC 7591 §3.1: client metadata is sent as a JSON document. */
const jsonOnly: MiddlewareHandler = async (c, next) => {
  if (mediaType(c) !== JSON_MEDIA_TYPE) {
    throw new OAuthError('invalid_request', `The request body must be ${JSON_MEDIA_TYPE}.`)
  }
  await next()
}

// Checked field by field in the domain (src/oauth/registration.ts), which answers with RFC 7591
// §3.2.2's own error codes; fields it does not know are ignored (§2).
const ClientMetadataSchema = z.unknown().openapi('ClientMetadata', {
  description: 'RFC 7591 §2 client metadata',
  example: {
    client_name: 'My MCP client',
    redirect_uris: ['http://127.0.0.1:33418/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
})

const ClientInformationSchema = z.record(z.string(), z.unknown()).openapi('ClientInformation', {
  description: 'RFC 7591 §3.2.1 client information response',
})

const jsonBody = { body: { required: true, content: { [JSON_MEDIA_TYPE]: { schema: ClientMetadataSchema } } } }
const clientIdParam = z.object({ client_id: z.string().min(1).max(100) })
const tokenErrors = {
  401: oauthError('invalid_token: missing or wrong registration access token, or no such client'),
}

export const registerRoute = createRoute({
  method: 'post',
  path: ENDPOINTS.registration,
  tags: ['OAuth2'],
  summary: 'Register a client (RFC 7591)',
  description:
    'Open, behind an initial access token (Bearer), or off, as CLIENT_REGISTRATION says. The client_secret and registration_access_token are shown once.',
  middleware: [jsonOnly],
  request: jsonBody,
  responses: {
    201: jsonResponse('Registered (RFC 7591 §3.2.1)', ClientInformationSchema),
    400: oauthError('invalid_redirect_uri, invalid_client_metadata (RFC 7591 §3.2.2) or invalid_request'),
    401: oauthError('invalid_token: the initial access token is missing or wrong'),
    403: oauthError('access_denied: registration is off'),
    429: oauthError('slow_down: too many registrations from this address'),
  },
})

const configurationPath = `${ENDPOINTS.registration}{client_id}/`

export const readClientRoute = createRoute({
  method: 'get',
  path: configurationPath,
  tags: ['OAuth2'],
  summary: 'Read a registered client (RFC 7592 §2.1)',
  request: { params: clientIdParam },
  responses: { 200: jsonResponse('The client information (no secret)', ClientInformationSchema), ...tokenErrors },
})

export const updateClientRoute = createRoute({
  method: 'put',
  path: configurationPath,
  tags: ['OAuth2'],
  summary: 'Replace a registered client’s metadata (RFC 7592 §2.2)',
  middleware: [jsonOnly],
  request: { params: clientIdParam, ...jsonBody },
  responses: {
    200: jsonResponse('The updated client information', ClientInformationSchema),
    400: oauthError('invalid_redirect_uri or invalid_client_metadata'),
    ...tokenErrors,
  },
})

export const deleteClientRoute = createRoute({
  method: 'delete',
  path: configurationPath,
  tags: ['OAuth2'],
  summary: 'Delete a registered client and its tokens (RFC 7592 §2.3)',
  request: { params: clientIdParam },
  responses: { 204: { description: 'Deleted' }, ...tokenErrors },
})
