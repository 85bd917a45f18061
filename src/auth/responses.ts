/**
 * @module
 * Authentication and permission failures with RFC 6750 §3 challenges, for each protected
 * resource (a `Protection`: the resource API's throws DRF's error for its router to answer, the
 * MCP endpoint's answers JSON-RPC errors). Every Bearer challenge names the resource's RFC 9728 metadata
 * (`resource_metadata`, §5.1), so a client that knows nothing but the resource's URL finds the
 * authorization server and the scopes.
 */
import type { Context } from 'hono'
import { DrfError } from '../http/drf.ts'
import { API_RESOURCE, type Resource, resourceMetadataUrl } from '../resource/resources.ts'
import type { AppEnv } from '../types.ts'
import { BEARER_MESSAGES } from './bearer.ts'
import { DPOP_NONCE_HEADER, type DpopRefusal, dpopChallenge, dpopRefusalStatus } from './dpop.ts'

/** What a route behind `authenticate()` protects, and how its router words a refusal. */
export type Protection = {
  /** The resource whose metadata every challenge names (RFC 9728 §5.1). */
  resource: Resource
  /** RFC 6750 §3 realm. */
  realm: string
  /**
   * `scope=` on a 401 without credentials (RFC 6750 §3): the scopes a client should ask for.
   * The MCP authorization spec asks for it; the API's 401 names none (its routes differ).
   */
  challengeScopes?: (c: Context) => readonly string[]
  /**
   * The refusal in the router's dialect, with `headers` (the challenge: one value per scheme):
   * a response, or an error thrown for the router's dialect to answer.
   */
  refuse: (c: Context, status: 400 | 401 | 403, message: string, headers: ChallengeHeaders) => Response
}

/** A refusal's headers: `WWW-Authenticate`, one value per scheme (RFC 7235 §4.1). */
export type ChallengeHeaders = Record<string, string | string[]>

/** The resource API (/api/*, /api-token-auth/): DRF's `{"detail": …}`, answered by its routers' dialect. */
export const API_PROTECTION: Protection = {
  resource: API_RESOURCE,
  realm: 'api',
  refuse: (_c, status, detail, headers) => {
    throw new DrfError(status, detail, headers)
  },
}

export const MESSAGES = {
  notProvided: 'Authentication credentials were not provided.',
  ...BEARER_MESSAGES,
  permissionDenied: 'You do not have permission to perform this action.',
  userInactive: 'User inactive or deleted.',
  otherResource: 'Invalid token: it was not issued for this resource.',
} as const

// DRF's TokenAuthentication.authenticate_header(): the challenge for a refused `Token` key.
export const TOKEN_CHALLENGE = 'Token'

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

/**
 * `Bearer realm="…"` (`api` unless given) plus, when given, an RFC 6750 §3.1 error code, the
 * scope needed (§3: space-delimited) and the resource's RFC 9728 metadata URL (§5.1).
 */
export function bearerChallenge(
  error?: BearerError,
  scope?: string,
  resourceMetadata?: string | null,
  realm = API_PROTECTION.realm,
): string {
  let challenge = `Bearer realm="${realm}"`
  if (error) challenge += `, error="${error}"`
  if (scope) challenge += `, scope="${scope}"`
  if (resourceMetadata) challenge += `, resource_metadata="${resourceMetadata}"`
  return challenge
}

/** The protected resource's Bearer challenge: `bearerChallenge` with its realm and metadata URL. */
export function resourceChallenge<E extends AppEnv>(
  c: Context<E>,
  protection: Protection,
  error?: BearerError,
  scope?: string,
): string {
  return bearerChallenge(error, scope, resourceMetadataUrl(c, protection.resource), protection.realm)
}

/** RFC 6750 §3.1: no credentials → a challenge without an error code (with `scope=` where the resource names one). */
export function notAuthenticated<E extends AppEnv>(c: Context<E>, protection: Protection): Response {
  const scope = protection.challengeScopes?.(c).join(' ')
  return protection.refuse(c, 401, MESSAGES.notProvided, {
    'WWW-Authenticate': resourceChallenge(c, protection, undefined, scope),
  })
}

export function invalidToken<E extends AppEnv>(
  c: Context<E>,
  protection: Protection,
  message: string = MESSAGES.invalidToken,
): Response {
  return protection.refuse(c, 401, message, {
    'WWW-Authenticate': resourceChallenge(c, protection, 'invalid_token'),
  })
}

/** The protected resource's DPoP challenge (RFC 9449 §7.1): its realm and metadata URL, and the error code if any. */
export function resourceDpopChallenge<E extends AppEnv>(
  c: Context<E>,
  protection: Protection,
  error?: DpopRefusal['error'],
): string {
  return dpopChallenge({
    realm: protection.realm,
    error,
    resourceMetadata: resourceMetadataUrl(c, protection.resource),
  })
}

/** RFC 9449 §7.1: a DPoP refusal, challenged with DPoP and its error code (and §9's nonce with use_dpop_nonce). */
export function dpopRefused<E extends AppEnv>(c: Context<E>, protection: Protection, refusal: DpopRefusal): Response {
  return protection.refuse(c, dpopRefusalStatus(refusal), refusal.description, {
    'WWW-Authenticate': resourceDpopChallenge(c, protection, refusal.error),
    ...(refusal.nonce === undefined ? {} : { [DPOP_NONCE_HEADER]: refusal.nonce }),
  })
}

/** RFC 6750 §3.1: a malformed request is invalid_request with 400. */
export function malformedBearer<E extends AppEnv>(c: Context<E>, protection: Protection, detail: string): Response {
  return protection.refuse(c, 400, detail, { 'WWW-Authenticate': resourceChallenge(c, protection, 'invalid_request') })
}

/** DRF's Throttled (429) message, for /api-token-auth/ over the login limits. */
export function throttledMessage(retryAfter: number): string {
  return `Request was throttled. Expected available in ${retryAfter} seconds.`
}

/** DRF's TokenAuthentication failures: 401 with its `Token` challenge. */
export function tokenAuthFailed(c: Context, protection: Protection, detail: string): Response {
  return protection.refuse(c, 401, detail, { 'WWW-Authenticate': TOKEN_CHALLENGE })
}

/** DRF's PermissionDenied (403), e.g. IsAuthenticated for a token that acts for no user. */
export function permissionDenied(c: Context, protection: Protection): Response {
  return protection.refuse(c, 403, MESSAGES.permissionDenied, {})
}

/**
 * RFC 6750 §3.1: insufficient_scope (403) naming every scope the request needs (not only the
 * missing ones), so a client that asks for exactly these gets a token that passes.
 */
export function insufficientScope<E extends AppEnv>(
  c: Context<E>,
  protection: Protection,
  scopes: readonly string[],
): Response {
  return protection.refuse(c, 403, MESSAGES.permissionDenied, {
    'WWW-Authenticate': resourceChallenge(c, protection, 'insufficient_scope', scopes.join(' ')),
  })
}
