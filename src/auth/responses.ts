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
} as const

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

/** DRF's Throttled (429) with Retry-After, for /api-token-auth/ over the login limits. */
export function throttled(c: Context, retryAfter: number): Response {
  return c.json({ detail: `Request was throttled. Expected available in ${retryAfter} seconds.` }, 429, {
    'Retry-After': String(retryAfter),
  })
}
