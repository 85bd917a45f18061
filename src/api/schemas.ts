/**
 * @module
 * Response shapes shared by the resource API routes (DRF's), and the responses every
 * authenticated route can give.
 */
import { z } from '@hono/zod-openapi'
import { jsonResponse } from '../http/openapi.ts'

export const DetailSchema = z
  .object({ detail: z.string().openapi({ example: 'Authentication credentials were not provided.' }) })
  .openapi('Detail')

export const FieldErrorsSchema = z.record(z.string(), z.array(z.string())).openapi('FieldErrors', {
  description: 'DRF field errors: field name → messages',
  example: { username: ['A user with that username already exists.'] },
})

const detail = (description: string) => jsonResponse(description, DetailSchema)

/** What the auth middleware and the permission guards can answer on any /api/* route. */
export const AUTH_RESPONSES = {
  400: detail('Malformed Bearer header, or a token sent in more than one way (RFC 6750 §3.1 invalid_request)'),
  401: detail(
    'Missing, unknown or expired credentials; inactive user. WWW-Authenticate names both schemes: Bearer realm="api" (with resource_metadata, RFC 9728 §5.1) and Token',
  ),
} as const

export const FORBIDDEN_RESPONSE = {
  403: detail('A token acting for no user, or missing the required scope (RFC 6750 §3.1 insufficient_scope)'),
} as const

/** Every /api/* route accepts an OAuth2 access token or a DRF `Token` key. */
export const API_SECURITY: Record<string, string[]>[] = [{ oauth2: [] }, { bearer: [] }, { tokenKey: [] }]

/**
 * A request body DRF's default parsers accept: JSON, urlencoded or multipart form. Not `required`,
 * so a missing body reaches the domain, which reports every missing field at once.
 */
export function jsonOrFormBody<T extends z.ZodType>(schema: T) {
  return {
    required: false,
    content: {
      'application/json': { schema },
      'application/x-www-form-urlencoded': { schema },
      'multipart/form-data': { schema },
    },
  }
}

/** Documents a body field as a string; the domain checks it (so errors on every field come at once). */
export const documentedField = (description: string) => z.unknown().optional().openapi({ type: 'string', description })
