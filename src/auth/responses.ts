/**
 * @module
 * DRF's authentication and permission failures, with RFC 6750 §3 challenges.
 */
import type { Context } from 'hono'
import { BEARER_MESSAGES } from './bearer.ts'

const REALM = 'realm="api"'

export const MESSAGES = {
  notProvided: 'Authentication credentials were not provided.',
  invalidToken: 'Invalid token.',
  ...BEARER_MESSAGES,
  permissionDenied: 'You do not have permission to perform this action.',
  userInactive: 'User inactive or deleted.',
} as const

// DRF's TokenAuthentication.authenticate_header(): the challenge for a refused `Token` key.
export const TOKEN_CHALLENGE = 'Token'

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

/** `Bearer realm="api"` plus, when given, an RFC 6750 §3.1 error code and the scope needed. */
export function bearerChallenge(error?: BearerError, scope?: string): string {
  let challenge = `Bearer ${REALM}`
  if (error) challenge += `, error="${error}"`
  if (scope) challenge += `, scope="${scope}"`
  return challenge
}

/** RFC 6750 §3.1: no credentials → a bare challenge without an error code. */
export function notAuthenticated(c: Context): Response {
  return c.json({ detail: MESSAGES.notProvided }, 401, { 'WWW-Authenticate': bearerChallenge() })
}

export function invalidToken(c: Context, detail: string = MESSAGES.invalidToken): Response {
  return c.json({ detail }, 401, { 'WWW-Authenticate': bearerChallenge('invalid_token') })
}

/** RFC 6750 §3.1: a malformed request is invalid_request with 400. */
export function malformedBearer(c: Context, detail: string): Response {
  return c.json({ detail }, 400, { 'WWW-Authenticate': bearerChallenge('invalid_request') })
}

/** DRF's Throttled (429) message, for /api-token-auth/ over the login limits. */
export function throttledMessage(retryAfter: number): string {
  return `Request was throttled. Expected available in ${retryAfter} seconds.`
}

/** DRF's TokenAuthentication failures: 401 with its `Token` challenge. */
export function tokenAuthFailed(c: Context, detail: string): Response {
  return c.json({ detail }, 401, { 'WWW-Authenticate': TOKEN_CHALLENGE })
}

/** DRF's PermissionDenied (403), e.g. IsAuthenticated for a token that acts for no user. */
export function permissionDenied(c: Context): Response {
  return c.json({ detail: MESSAGES.permissionDenied }, 403)
}

/** RFC 6750 §3.1: insufficient_scope (403) naming the scope the request needs. */
export function insufficientScope(c: Context, scope: string): Response {
  return c.json({ detail: MESSAGES.permissionDenied }, 403, {
    'WWW-Authenticate': bearerChallenge('insufficient_scope', scope),
  })
}
