/**
 * @module
 * RFC 6749 §5.2 errors, thrown by the domain layer; the OAuth dialect (src/http/oauth.ts) answers them.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  // RFC 6749 §4.1.2.1, at the authorization endpoint and (RFC 9126 §2.3) the PAR endpoint.
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1, at the OIDC userinfo endpoint
  | 'invalid_token'
  | 'insufficient_scope'
  // RFC 7591 §3.2.2, at the registration endpoint
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  // RFC 8628 §3.5: the device grant's poll answers. slow_down is also used with 429 for
  // brute-force limits (src/lib/rate-limit.ts).
  | 'slow_down'
  | 'authorization_pending'
  | 'expired_token'
  // RFC 8707 §2: a `resource` that is malformed, unknown, or not covered by the grant.
  | 'invalid_target'

export class OAuthError extends Error {
  readonly code: OAuthErrorCode
  readonly status: ContentfulStatusCode
  readonly headers: Record<string, string>

  constructor(
    code: OAuthErrorCode,
    description: string,
    options: { status?: ContentfulStatusCode; headers?: Record<string, string> } = {},
  ) {
    super(description)
    this.code = code
    this.status = options.status ?? 400
    this.headers = options.headers ?? {}
  }
}

/** The challenge of client authentication (RFC 6749 §2.3.1), the scheme every OAuth endpoint here accepts. */
export const CLIENT_CHALLENGE = 'Basic realm="oauth"'
