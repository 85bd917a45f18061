/**
 * @module
 * The management JSON API: DOT's application views (`/o/applications/`) and authorized-token
 * views (`/o/authorized-tokens/`) for the logged-in user: the session cookie only, and unsafe
 * requests from this origin only. Tokens issued to clients are refused here.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { DetailSchema } from '../api/schemas.ts'
import { jsonResponse } from '../http/openapi.ts'
import {
  applicationNameProblem,
  MAX_APPLICATION_NAME_LENGTH,
  MAX_REDIRECT_URI_LENGTH,
  MAX_REDIRECT_URIS,
  redirectUriProblem,
} from './application-rules.ts'
import { APPLICATION_GRANTS, CLIENT_TYPES } from './applications.ts'

// The rule is application-rules.ts's, shared with the CLI; the schema only reports it per item.
const RedirectUriSchema = z
  .string()
  .superRefine((value, ctx) => {
    const problem = redirectUriProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .openapi({
    example: 'https://client.example.com/callback',
    maxLength: MAX_REDIRECT_URI_LENGTH,
    description:
      'https (http only for localhost, 127.0.0.1, [::1]); no fragment, whitespace, control or format characters, or backslashes',
  })

const fields = {
  name: z
    .string()
    .trim()
    .min(1)
    .max(MAX_APPLICATION_NAME_LENGTH)
    .superRefine((value, ctx) => {
      const problem = applicationNameProblem(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
    .openapi({ example: 'Photo Printer', description: 'One line, without control or format characters' }),
  authorization_grant_type: z
    .array(z.enum(APPLICATION_GRANTS))
    .min(1)
    .max(APPLICATION_GRANTS.length)
    .openapi({ description: "DOT's grant names; a repeated one is stored once", example: ['authorization-code'] }),
  redirect_uris: z.array(RedirectUriSchema).max(MAX_REDIRECT_URIS),
  skip_authorization: z.boolean().openapi({
    description:
      'Superusers only (others: 403): never show the consent page. Moving the redirect URIs of such an application turns it off unless a superuser does it',
  }),
}

/** What registering takes: the API's JSON body. */
const ApplicationInputSchema = z
  .object({
    ...fields,
    client_type: z.enum(CLIENT_TYPES),
    redirect_uris: fields.redirect_uris.default([]),
    skip_authorization: fields.skip_authorization.default(false),
  })
  .openapi('ApplicationInput')

/** What a change takes: the API's PATCH body. */
const ApplicationPatchSchema = z.object(fields).partial().strict().openapi('ApplicationPatch')

const ApplicationSchema = z
  .object({
    id: z.number().int(),
    client_id: z.string(),
    name: z.string(),
    client_type: z.enum(CLIENT_TYPES),
    authorization_grant_type: z.array(z.string()),
    redirect_uris: z.array(z.string()),
    skip_authorization: z.boolean(),
    created: z.string(),
    updated: z.string(),
  })
  .openapi('Application')

const SecretSchema = z.object({
  client_secret: z.string().nullable().openapi({ description: 'Shown once; null for public clients' }),
})

const ApplicationWithSecretSchema = ApplicationSchema.extend(SecretSchema.shape).openapi('ApplicationWithSecret')

const AuthorizedTokenSchema = z
  .object({
    id: z.number().int(),
    application: z.object({ name: z.string(), client_id: z.string() }),
    scope: z.string(),
    expires: z.string().openapi({ description: 'ISO 8601' }),
  })
  .openapi('AuthorizedToken')

// Any string reaches the handler, which answers 404 unless it is Django's <int:pk> ([0-9]+).
const IdParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '1', pattern: '^[0-9]+$' }),
})
const security: Record<string, string[]>[] = [{ session: [] }]
const errors = {
  403: jsonResponse(
    'No browser session (tokens are not accepted here), or an unsafe request from another origin',
    DetailSchema,
  ),
}
const notFound = { 404: jsonResponse('Not found, or not yours', DetailSchema) }
const fieldErrors = { 400: jsonResponse('Field errors', z.record(z.string(), z.array(z.string()))) }

export const listApplicationsRoute = createRoute({
  method: 'get',
  path: '/o/applications/',
  tags: ['Management'],
  summary: 'Your applications',
  security,
  responses: { 200: jsonResponse('Applications', z.array(ApplicationSchema)), ...errors },
})

export const registerApplicationRoute = createRoute({
  method: 'post',
  path: '/o/applications/',
  tags: ['Management'],
  summary: 'Register an application (the client secret is shown once)',
  security,
  request: { body: { required: true, content: { 'application/json': { schema: ApplicationInputSchema } } } },
  responses: { 201: jsonResponse('Registered', ApplicationWithSecretSchema), ...fieldErrors, ...errors },
})

export const applicationDetailRoute = createRoute({
  method: 'get',
  path: '/o/applications/{id}/',
  tags: ['Management'],
  summary: 'One of your applications',
  security,
  request: { params: IdParams },
  responses: { 200: jsonResponse('Application', ApplicationSchema), ...errors, ...notFound },
})

export const updateApplicationRoute = createRoute({
  method: 'patch',
  path: '/o/applications/{id}/',
  tags: ['Management'],
  summary: 'Change an application',
  security,
  request: {
    params: IdParams,
    body: { required: true, content: { 'application/json': { schema: ApplicationPatchSchema } } },
  },
  responses: { 200: jsonResponse('Updated', ApplicationSchema), ...fieldErrors, ...errors, ...notFound },
})

export const deleteApplicationRoute = createRoute({
  method: 'delete',
  path: '/o/applications/{id}/',
  tags: ['Management'],
  summary: 'Delete an application and revoke its tokens',
  security,
  request: { params: IdParams },
  responses: { 204: { description: 'Deleted' }, ...errors, ...notFound },
})

export const rotateSecretRoute = createRoute({
  method: 'post',
  path: '/o/applications/{id}/rotate-secret/',
  tags: ['Management'],
  summary: 'Replace the client secret (shown once)',
  security,
  request: { params: IdParams },
  responses: { 200: jsonResponse('The new secret', SecretSchema), ...errors, ...notFound },
})

export const listAuthorizedTokensRoute = createRoute({
  method: 'get',
  path: '/o/authorized-tokens/',
  tags: ['Management'],
  summary: 'The live access tokens you granted (never the tokens themselves)',
  security,
  responses: { 200: jsonResponse('Tokens', z.array(AuthorizedTokenSchema)), ...errors },
})

export const revokeAuthorizedTokenRoute = createRoute({
  method: 'delete',
  path: '/o/authorized-tokens/{id}/',
  tags: ['Management'],
  summary: 'Revoke one of your tokens',
  security,
  request: { params: IdParams },
  responses: { 204: { description: 'Revoked' }, ...errors, ...notFound },
})
