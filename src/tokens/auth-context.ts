/**
 * @module
 * What a request authenticated by a token knows about its caller. Small on purpose:
 * it is what the KV cache holds for each token.
 */

export type AuthContext = {
  /**
   * `bearer`: an OAuth2 access token; `token`: an API key, named after DRF's `Token` scheme that
   * carries it (not scoped; the name is kept in cached contexts); `session`: the browser login.
   */
  scheme: 'bearer' | 'token' | 'session'
  /** null for client_credentials tokens, which act for the client alone. */
  userId: number | null
  username: string | null
  /** null for API keys, which belong to no client. */
  clientId: string | null
  applicationId: number | null
  scopes: string[]
  /** Unix seconds; null for API keys, which do not expire. */
  expiresAt: number | null
  /**
   * RFC 8707: the resources an access token is for, as stored (src/resource/audiences.ts: normalised
   * identifiers, space-separated). Absent: the default audience — also in every cache entry
   * written before audiences existed. API keys and sessions are not bound to a resource.
   */
  audience?: string
  /**
   * RFC 9449 §6.1: the JWK thumbprint of the DPoP key an access token is bound to: it is accepted
   * only with a proof signed by that key (src/auth/dpop.ts). Absent: a Bearer token.
   */
  jkt?: string
}
