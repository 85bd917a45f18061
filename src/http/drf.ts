/**
 * @module
 * The DRF dialect, for the resource API (/api/*, /api-token-auth/) and the management API
 * (/o/applications/, /o/authorized-tokens/): `{"detail": …}` as Django REST framework's
 * exceptions, and its field errors `{"field": ["message", …]}` for input that fails validation.
 * Anything behind a DRF router refuses a request by throwing a `DrfError` (DRF's APIException),
 * which this dialect answers; RFC 6750 challenges on the API's 401s come from its auth
 * middleware (src/auth/responses.ts) as the error's headers.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ZodError } from 'zod'
import { BODY_TOO_LARGE, limitBody } from '../lib/body-limit.ts'
import type { AppEnv } from '../types.ts'
import { createRouter, type Dialect, valueAt } from './router.ts'
import { NO_STORE_HEADERS } from './semantics.ts'

/** Response headers; a list is one field line per value (each scheme's challenge). */
type HeaderRecord = Record<string, string | string[]>

function detail(c: Context, message: string, status: ContentfulStatusCode, headers?: HeaderRecord) {
  return c.json({ detail: message }, status, headers)
}

/**
 * DRF's APIException: thrown by a handler or middleware behind a DRF router, answered
 * `{"detail": message}` with `status` and `headers` (a `WWW-Authenticate` challenge, one value
 * per scheme; `Retry-After` for Throttled).
 */
export class DrfError extends Error {
  readonly status: ContentfulStatusCode
  readonly headers: HeaderRecord

  constructor(status: ContentfulStatusCode, message: string, headers: HeaderRecord = {}) {
    super(message)
    this.status = status
    this.headers = headers
  }
}

/**
 * DRF's field errors `{"field": ["message", …]}` for input that failed its schema: "This field is
 * required." for a missing or empty value, as DRF words it.
 */
function fieldErrors(error: ZodError, data: unknown): Record<string, string[]> {
  const fields: Record<string, string[]> = {}
  for (const issue of error.issues) {
    const name = issue.path.length > 0 ? issue.path.join('.') : 'non_field_errors'
    const value = valueAt(data, issue.path)
    const message = value === undefined || value === '' ? 'This field is required.' : issue.message
    fields[name] = [...(fields[name] ?? []), message]
  }
  return fields
}

export const drf: Dialect = {
  validationHook: (result, c) => {
    if (result.success) return
    const failure = result as unknown as { error: ZodError; data: unknown }
    return c.json(fieldErrors(failure.error, failure.data), 400)
  },
  guard: [limitBody((c) => detail(c, BODY_TOO_LARGE, 413))],
  // DRF's ParseError ("JSON parse error - …") and UnsupportedMediaType carry their message as detail.
  clientError: (c, error) => detail(c, error.message, error.status as ContentfulStatusCode),
  // DRF's ServiceUnavailable.
  unavailable: (c, retryAfter) =>
    detail(c, 'Service temporarily unavailable, try again later.', 503, {
      ...NO_STORE_HEADERS,
      'Retry-After': String(retryAfter),
    }),
  // DRF's APIException default: nothing about the fault itself.
  internalError: (c) => detail(c, 'A server error occurred.', 500),
  // DRF's NotFound.
  notFound: (c) => detail(c, 'Not found.', 404),
  // DRF's MethodNotAllowed.
  methodNotAllowed: (c, allow) => detail(c, `Method "${c.req.method}" not allowed.`, 405, { Allow: allow }),
  ownError: (c, error) =>
    error instanceof DrfError ? detail(c, error.message, error.status, error.headers) : undefined,
}

/** A router answering in the DRF dialect; `paths`: its own path patterns (see createRouter). */
export function createDrfRouter<E extends AppEnv = AppEnv>(paths: readonly string[]) {
  return createRouter<E>(drf, paths)
}
