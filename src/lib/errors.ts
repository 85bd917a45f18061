/**
 * @module
 * The one global error handler: every thrown error becomes a JSON response in the shape
 * of the area it came from, and nothing leaks a stack trace.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { OAuthError, oauthErrorResponse } from '../oauth/errors.ts'
import type { AppEnv } from '../types.ts'

function isOAuthPath(path: string): boolean {
  return path.startsWith('/o/')
}

// D1's own fault messages ("D1_ERROR: …", "D1 DB is overloaded…") and the runtime's for a
// dropped storage connection; drizzle wraps any failed query in DrizzleQueryError.
const STORAGE_FAULT = /^D1_|D1 DB|Network connection lost|storage operation exceeded/i
export const STORAGE_RETRY_AFTER_SECONDS = 5

function isStorageFault(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof DrizzleQueryError || STORAGE_FAULT.test(current.message)) return true
  }
  return false
}

export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof OAuthError) return oauthErrorResponse(c, error)
  const oauth = isOAuthPath(c.req.path)
  if (error instanceof HTTPException) {
    // Unsupported media type or malformed body on an OAuth endpoint is an invalid request.
    const status = oauth && error.status === 415 ? 400 : error.status
    if (status >= 500) return internalError(c, error, oauth)
    return oauth
      ? oauthErrorResponse(c, new OAuthError('invalid_request', error.message, { status: status as 400 }))
      : c.json({ detail: error.message }, status as 400)
  }
  if (isStorageFault(error)) {
    console.error('storage fault', error)
    return c.json(
      { error: 'temporarily_unavailable', error_description: 'Storage is unavailable; retry later.' },
      503,
      { 'Retry-After': String(STORAGE_RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' },
    )
  }
  return internalError(c, error, oauth)
}

function internalError(c: Context, error: Error, oauth: boolean): Response {
  console.error('unhandled error', error)
  return oauth
    ? c.json({ error: 'server_error', error_description: 'Internal server error.' }, 500, {
        'Cache-Control': 'no-store',
      })
    : c.json({ detail: 'A server error occurred.' }, 500)
}
