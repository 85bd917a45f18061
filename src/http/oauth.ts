/**
 * @module
 * The OAuth dialect (RFC 6749 §5.2), for the authorization server's JSON endpoints (token,
 * revocation, introspection, metadata, OIDC discovery, JWKS, UserInfo): `{"error", "error_description"}`,
 * never stored, and a `WWW-Authenticate` challenge on every 401. Its error, `OAuthError`, is thrown
 * by the protocol's modules and answered here.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ZodError } from 'zod'
import { BODY_TOO_LARGE, limitBody } from '../lib/body-limit.ts'
import type { AppEnv } from '../types.ts'
import { createRouter, type Dialect, valueAt } from './router.ts'
import { NO_STORE_HEADERS } from './semantics.ts'

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
  // RFC 9449 §5, §8 (token endpoint), §7.1, §9 (UserInfo): a DPoP proof refused, a nonce required.
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

/** An RFC 6749 §5.2 error (and the codes RFC 6750, 7591, 8628, 8707 and 9449 add), thrown by the protocol's modules. */
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

function answer(
  c: Context,
  code: OAuthErrorCode,
  description: string,
  status: ContentfulStatusCode,
  headers: Record<string, string> = {},
): Response {
  const all: Record<string, string> = { ...NO_STORE_HEADERS, ...headers }
  // RFC 7235 §3.1 / RFC 6749 §5.2: every 401 carries a challenge; client authentication's unless one was set.
  if (status === 401 && !Object.keys(all).some((name) => name.toLowerCase() === 'www-authenticate')) {
    all['WWW-Authenticate'] = CLIENT_CHALLENGE
  }
  return c.json({ error: code, error_description: description }, status, all)
}

function oauthErrorResponse(c: Context, error: OAuthError): Response {
  return answer(c, error.code, error.message, error.status, error.headers)
}

function describeIssue(issue: ZodError['issues'][number], data: unknown): string {
  const name = issue.path.join('.') || 'body'
  const value = valueAt(data, issue.path)
  // RFC 6749 §3.1/§3.2: request parameters must not be included more than once.
  if (Array.isArray(value)) return `Repeated parameter: ${name}.`
  if (value === undefined) return `Missing parameter: ${name}.`
  return `Invalid parameter: ${name}: ${issue.message}`
}

export const oauth: Dialect = {
  validationHook: (result, c) => {
    if (result.success) return
    const failure = result as unknown as { error: ZodError; data: unknown }
    const description = failure.error.issues.map((issue) => describeIssue(issue, failure.data)).join(' ')
    return answer(c, 'invalid_request', description, 400)
  },
  guard: [limitBody((c) => answer(c, 'invalid_request', BODY_TOO_LARGE, 413))],
  // An unsupported media type or a malformed body is an invalid request (RFC 6749 §5.2: 400).
  clientError: (c, error) =>
    answer(c, 'invalid_request', error.message, error.status === 415 ? 400 : (error.status as ContentfulStatusCode)),
  unavailable: (c, retryAfter) =>
    answer(c, 'temporarily_unavailable', 'Storage is unavailable; retry later.', 503, {
      'Retry-After': String(retryAfter),
    }),
  internalError: (c) => answer(c, 'server_error', 'Internal server error.', 500),
  // The app's notFound (src/index.ts) for paths under /o/ that no router claims: as it always was.
  notFound: (c) => c.json({ error: 'not_found' }, 404),
  methodNotAllowed: (c, allow) =>
    answer(c, 'invalid_request', `Method ${c.req.method} not allowed; use ${allow}.`, 405, { Allow: allow }),
  ownError: (c, error) => (error instanceof OAuthError ? oauthErrorResponse(c, error) : undefined),
}

/** A router answering in the OAuth dialect; `paths`: its own path patterns (see createRouter). */
export function createOAuthRouter<E extends AppEnv = AppEnv>(paths: readonly string[]) {
  return createRouter<E>(oauth, paths)
}
