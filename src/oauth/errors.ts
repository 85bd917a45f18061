/**
 * @module
 * RFC 6749 §5.2 error responses, thrown by the domain layer and shaped by one handler.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1, at the OIDC userinfo endpoint
  | 'invalid_token'
  | 'insufficient_scope'
  // RFC 8628 §3.5's "slow down", used with 429 for brute-force limits (src/lib/rate-limit.ts).
  | 'slow_down'

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

// RFC 6749 §5.1: responses carrying tokens or credentials must not be cached.
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const

/** The challenge of client authentication (RFC 6749 §2.3.1), the scheme every OAuth endpoint here accepts. */
export const CLIENT_CHALLENGE = 'Basic realm="oauth"'

export function oauthErrorResponse(c: Context, error: OAuthError): Response {
  const headers: Record<string, string> = { ...NO_STORE_HEADERS, ...error.headers }
  // RFC 7235 §3.1 / RFC 6749 §5.2: every 401 carries a challenge; client authentication's unless one was set.
  if (error.status === 401 && !Object.keys(headers).some((name) => name.toLowerCase() === 'www-authenticate')) {
    headers['WWW-Authenticate'] = CLIENT_CHALLENGE
  }
  return c.json({ error: error.code, error_description: error.message }, error.status, headers)
}

/** 405 in the OAuth dialect, for answerOtherMethods (src/lib/method-not-allowed.ts). */
export function oauthMethodNotAllowed(c: Context, allow: string): Response {
  return c.json(
    { error: 'invalid_request', error_description: `Method ${c.req.method} not allowed; use ${allow}.` },
    405,
    { ...NO_STORE_HEADERS, Allow: allow },
  )
}
