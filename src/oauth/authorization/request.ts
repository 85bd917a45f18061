/**
 * @module
 * What validating an authorization request comes to: the request as checked, or why not — an
 * error page when nothing about the client or its redirect_uri can be trusted (RFC 6749
 * §4.1.2.1), an error sent to the verified redirect_uri otherwise.
 */
import type { Application } from '../../db/schema.ts'
import type { Audience, Resources } from '../../resource/audiences.ts'
import type { PkceMethod } from '../pkce.ts'

/** OIDC Core §3.1.2.1 `prompt` values; select_account is served by the login form (pick the account to log in with). */
export const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const
export type Prompt = (typeof PROMPTS)[number]

export type AuthorizeRequest = {
  application: Application
  redirectUri: string
  scopes: string[]
  state: string | undefined
  codeChallenge: string
  codeChallengeMethod: PkceMethod | ''
  nonce: string
  prompt: Prompt[]
  /** Seconds a login may be old (OIDC max_age), or null for any age. */
  maxAge: number | null
  loginHint: string | undefined
  /** RFC 8707: the `resource` parameters, normalised (carried through the consent form); empty when none. */
  resources: string[]
  /** The audience of the code: those resources, or the default audience. */
  audience: Audience
  /** The resources known to this issuer and configuration. */
  known: Resources
  /** RFC 9126: the pushed request this one was read from, or null for a request sent in the URL. */
  pushed: { id: number; requestUri: string; pushedAt: number } | null
}

export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  // RFC 8707 §2: a malformed or unknown resource.
  | 'invalid_target'
  // OIDC Core §3.1.2.6, for prompt=none.
  | 'login_required'
  | 'consent_required'

/** The parameters of an authorization response (§4.1.2 success, §4.1.2.1 error), `iss` aside. */
export type AuthorizationResponse =
  | { code: string; state: string | undefined }
  | { error: AuthorizeErrorCode; error_description: string; state: string | undefined }

export type AuthorizeOutcome =
  /** The client or redirect_uri cannot be trusted: show an error page, never redirect (§4.1.2.1). */
  | { kind: 'page'; error: string; description: string; status?: 400 | 429; headers?: Record<string, string> }
  /** An error response to send to the client's (verified) redirect_uri. */
  | { kind: 'redirect'; redirectUri: string; params: AuthorizationResponse; pushed: AuthorizeRequest['pushed'] }
  | { kind: 'valid'; request: AuthorizeRequest }

/**
 * Thrown by the checks that run before the redirect_uri is verified: the request is answered
 * with an error page (at /o/authorize/) or a JSON error (at /o/par/), never a redirect.
 */
export class UntrustedRequest extends Error {
  readonly error: string
  readonly status: 400 | 429
  readonly headers: Record<string, string> | undefined

  constructor(error: string, description: string, options: { status?: 429; headers?: Record<string, string> } = {}) {
    super(description)
    this.error = error
    this.status = options.status ?? 400
    this.headers = options.headers
  }
}
