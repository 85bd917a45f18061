/**
 * @module
 * `Authorization: Bearer <token>` (RFC 6750 §2.1) → the token's auth context. Shared by the
 * resource API's middleware and the OIDC userinfo endpoint, which shape the outcome each in
 * their own error format. Tokens are read from the header only: RFC 9700 §4.3.2 advises
 * against access tokens in URLs, so `?access_token=` is ignored. A token bound to a DPoP key is
 * refused as a Bearer token (RFC 9449 §7.2): it is accepted only with its proof (./dpop.ts).
 */
import type { Context } from 'hono'
import { parseAuthorization } from '../http/authorization.ts'
import { FORM_URLENCODED, mediaType } from '../http/semantics.ts'
import { lookupAccessToken } from '../tokens/access-tokens.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import type { TokenStore } from '../tokens/store.ts'

const BEARER = 'bearer'
// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
// Far above any token minted here; longer values are refused without hashing them.
const MAX_TOKEN_LENGTH = 512

export const BEARER_MESSAGES = {
  invalidToken: 'Invalid token.',
  boundToken: 'This access token is bound to a DPoP key: send it as Authorization: DPoP with a DPoP proof.',
  noCredentials: 'Invalid token header. No credentials provided.',
  containsSpaces: 'Invalid token header. Token string should not contain spaces.',
  severalMethods: 'Send the access token in one way only: the Authorization header.',
} as const

/**
 * RFC 6750 §3.1: a request that uses more than one method to send an access token is an
 * invalid_request. Tokens are only read from the header, so an `access_token` beside an
 * Authorization header (in the query, RFC 6750 §2.3, or a form body, §2.2) is that case.
 */
export async function sendsTokenTwice(c: Context): Promise<boolean> {
  if (c.req.header('Authorization') === undefined) return false
  if (c.req.query('access_token') !== undefined) return true
  if (mediaType(c) !== FORM_URLENCODED) return false
  try {
    // Hono caches the parsed body, so the route's validator reads it again for free.
    return (await c.req.parseBody()).access_token !== undefined
  } catch {
    // An unreadable form is the route's to refuse.
    return false
  }
}

export type BearerOutcome =
  /** No Authorization header, or a scheme other than Bearer. */
  | { kind: 'missing' }
  /** RFC 6750 §3.1 invalid_request: a Bearer header without a single credential. */
  | { kind: 'malformed'; detail: string }
  /** RFC 6750 §3.1 invalid_token: unknown, expired, revoked or not a token at all. */
  | { kind: 'invalid' }
  /** RFC 9449 §7.2: a DPoP-bound token sent as a Bearer token. */
  | { kind: 'bound' }
  | { kind: 'authenticated'; auth: AuthContext }

/** DRF's header checks, shared by every scheme: exactly one credential after the scheme. */
export function credentialsProblem(credentials: string): string | null {
  if (credentials === '') return BEARER_MESSAGES.noCredentials
  if (/\s/.test(credentials)) return BEARER_MESSAGES.containsSpaces
  return null
}

/** The auth context of a Bearer credential, or null; values that cannot be a token skip the lookup. */
export async function verifyBearerToken(store: TokenStore, credentials: string): Promise<AuthContext | null> {
  if (credentials.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(credentials)) return null
  return lookupAccessToken(store, credentials)
}

export async function authenticateBearer(store: TokenStore, header: string | undefined): Promise<BearerOutcome> {
  const parsed = parseAuthorization(header)
  if (!parsed || parsed.scheme !== BEARER) return { kind: 'missing' }
  const problem = credentialsProblem(parsed.credentials)
  if (problem) return { kind: 'malformed', detail: problem }
  const auth = await verifyBearerToken(store, parsed.credentials)
  if (!auth) return { kind: 'invalid' }
  return auth.jkt === undefined ? { kind: 'authenticated', auth } : { kind: 'bound' }
}
