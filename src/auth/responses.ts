/**
 * @module
 * DRF's authentication and permission failures, with RFC 6750 §3 challenges. Every Bearer
 * challenge from the resource API names its RFC 9728 metadata (`resource_metadata`, §5.1), so a
 * client that knows nothing but the API's URL finds the authorization server and the scopes.
 */
import type { Context } from 'hono'
import { API_RESOURCE, resourceMetadataUrl } from '../oauth/protected-resource.ts'
import type { AppEnv } from '../types.ts'
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

/**
 * `Bearer realm="api"` plus, when given, an RFC 6750 §3.1 error code, the scope needed (§3:
 * space-delimited) and the resource's RFC 9728 metadata URL (§5.1).
 */
export function bearerChallenge(error?: BearerError, scope?: string, resourceMetadata?: string | null): string {
  let challenge = `Bearer ${REALM}`
  if (error) challenge += `, error="${error}"`
  if (scope) challenge += `, scope="${scope}"`
  if (resourceMetadata) challenge += `, resource_metadata="${resourceMetadata}"`
  return challenge
}

/** The resource API's Bearer challenge: `bearerChallenge` with the API's metadata URL. */
export function apiBearerChallenge<E extends AppEnv>(c: Context<E>, error?: BearerError, scope?: string): string {
  return bearerChallenge(error, scope, resourceMetadataUrl(c, API_RESOURCE))
}

/** RFC 6750 §3.1: no credentials → a bare challenge without an error code. */
export function notAuthenticated<E extends AppEnv>(c: Context<E>): Response {
  return c.json({ detail: MESSAGES.notProvided }, 401, { 'WWW-Authenticate': apiBearerChallenge(c) })
}

export function invalidToken<E extends AppEnv>(c: Context<E>, detail: string = MESSAGES.invalidToken): Response {
  return c.json({ detail }, 401, { 'WWW-Authenticate': apiBearerChallenge(c, 'invalid_token') })
}

/** RFC 6750 §3.1: a malformed request is invalid_request with 400. */
export function malformedBearer<E extends AppEnv>(c: Context<E>, detail: string): Response {
  return c.json({ detail }, 400, { 'WWW-Authenticate': apiBearerChallenge(c, 'invalid_request') })
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

/**
 * RFC 6750 §3.1: insufficient_scope (403) naming every scope the request needs (not only the
 * missing ones), so a client that asks for exactly these gets a token that passes.
 */
export function insufficientScope<E extends AppEnv>(c: Context<E>, scopes: readonly string[]): Response {
  return c.json({ detail: MESSAGES.permissionDenied }, 403, {
    'WWW-Authenticate': apiBearerChallenge(c, 'insufficient_scope', scopes.join(' ')),
  })
}
