/**
 * @module
 * `Authorization: Bearer <token>` (RFC 6750 §2.1) → the token's auth context. Shared by the
 * resource API's middleware and the OIDC userinfo endpoint, which shape the outcome each in
 * their own error format. Tokens are read from the header only: RFC 9700 §4.3.2 advises
 * against access tokens in URLs, so `?access_token=` is ignored.
 */
import type { AuthContext } from '../tokens/auth-context.ts'
import { lookupAccessToken, type TokenStore } from '../tokens/store.ts'

const BEARER = 'bearer'
// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
// Far above any token minted here; longer values are refused without hashing them.
const MAX_TOKEN_LENGTH = 512

export const BEARER_MESSAGES = {
  noCredentials: 'Invalid token header. No credentials provided.',
  containsSpaces: 'Invalid token header. Token string should not contain spaces.',
} as const

export type BearerOutcome =
  /** No Authorization header, or a scheme other than Bearer. */
  | { kind: 'missing' }
  /** RFC 6750 §3.1 invalid_request: a Bearer header without a single credential. */
  | { kind: 'malformed'; detail: string }
  /** RFC 6750 §3.1 invalid_token: unknown, expired, revoked or not a token at all. */
  | { kind: 'invalid' }
  | { kind: 'authenticated'; auth: AuthContext }

export async function authenticateBearer(store: TokenStore, header: string | undefined): Promise<BearerOutcome> {
  const value = header?.trim()
  if (!value) return { kind: 'missing' }
  const space = value.search(/\s/)
  const scheme = (space < 0 ? value : value.slice(0, space)).toLowerCase()
  if (scheme !== BEARER) return { kind: 'missing' }
  const credentials = space < 0 ? '' : value.slice(space).trim()
  if (credentials === '') return { kind: 'malformed', detail: BEARER_MESSAGES.noCredentials }
  if (/\s/.test(credentials)) return { kind: 'malformed', detail: BEARER_MESSAGES.containsSpaces }
  if (credentials.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(credentials)) return { kind: 'invalid' }
  const auth = await lookupAccessToken(store, credentials)
  return auth ? { kind: 'authenticated', auth } : { kind: 'invalid' }
}
