/**
 * @module
 * The authorization request (RFC 6749 §4.1.1 + RFC 7636 §4.3): ONE schema for its
 * parameters, and the checks that decide between an error page (the redirect target cannot
 * be trusted), an error redirect (§4.1.2.1) and a valid request.
 */
import { z } from 'zod'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import type { Application } from '../db/schema.ts'
import { OAuthError } from '../http/oauth.ts'
import { isLoopbackHost } from '../lib/loopback.ts'
import {
  type Audience,
  audienceCovers,
  audienceOf,
  type Resources,
  requestedAudience,
  resources,
  storedAudience,
} from '../resource/audiences.ts'
import { hasLiveGrant } from '../tokens/lists.ts'
import { isAllowedRedirectUri } from './application-rules.ts'
import { allowsGrant, findApplicationByClientId } from './applications.ts'
import { isUrlClientId } from './client-metadata-document.ts'
import { PKCE_METHODS, PKCE_VALUE, type PkceMethod } from './pkce.ts'
import { resolveScopes } from './scopes.ts'

const param = z.string().optional()

/** Every parameter /o/authorize/ reads; OIDC parameters (prompt, max_age, …) belong here too. */
const AuthorizeRequestSchema = z.object({
  response_type: param,
  client_id: param,
  redirect_uri: param,
  scope: param,
  state: param,
  code_challenge: param,
  code_challenge_method: param,
  nonce: param,
  // OIDC Core §3.1.2.1: how the login and consent screens behave.
  prompt: param,
  max_age: param,
  login_hint: param,
  // RFC 8707 §2: may be repeated, one per resource.
  resource: z.array(z.string()).optional(),
})

// Parameters that may be sent more than once; every other one is refused when repeated (§3.1).
const REPEATABLE: readonly (keyof AuthorizeParams)[] = ['resource']

/** OIDC Core §3.1.2.1 `prompt` values; select_account is served by the login form (pick the account to log in with). */
const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const
export type Prompt = (typeof PROMPTS)[number]
// OIDC Core §3.1.2.1 max_age: "the allowable elapsed time in seconds" — a non-negative integer.
const MAX_AGE = /^\d{1,10}$/

/**
 * Longest accepted values (UTF-16 code units). These values are echoed in redirects, stored with
 * the code or put in id_tokens; nothing legitimate comes near (a JWT-encoded state fits 2048).
 * code_challenge is bounded by its own grammar (43–128, RFC 7636 §4.2); the rest are checked against lists.
 * @internal Exported for tests: test/hardening/authorize-request.test.ts sends each parameter one over.
 */
export const MAX_PARAM_LENGTH = { state: 2048, nonce: 512, scope: 1024, login_hint: 256 } as const

export type AuthorizeParams = z.infer<typeof AuthorizeRequestSchema>
export const AUTHORIZE_PARAMS = Object.keys(AuthorizeRequestSchema.shape) as (keyof AuthorizeParams)[]

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

export type AuthorizeOutcome =
  /** The client or redirect_uri cannot be trusted: show an error page, never redirect (§4.1.2.1). */
  | { kind: 'page'; error: string; description: string; status?: 400 | 429; headers?: Record<string, string> }
  /** An error response to send to the client's (verified) redirect_uri. */
  | { kind: 'redirect'; redirectUri: string; params: AuthorizationResponse }
  | { kind: 'valid'; request: AuthorizeRequest }

/** The parameters of an authorization response (§4.1.2 success, §4.1.2.1 error), `iss` aside. */
export type AuthorizationResponse =
  | { code: string; state: string | undefined }
  | { error: AuthorizeErrorCode; error_description: string; state: string | undefined }

/**
 * The response's parameters added to the client's redirect_uri, keeping its own query.
 * RFC 9207 §2: every response, error or not, carries the issuer, so a client talking to
 * several servers can tell which one answered (the mix-up defense of RFC 9700 §4.4).
 */
export function authorizationResponseUrl(redirectUri: string, params: AuthorizationResponse, issuer: string): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries({ ...params, iss: issuer })) {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  return url.toString()
}

/**
 * Resolves a client_id written as a URL, given the row read for it (client-metadata-document.ts
 * `resolveUrlClient`, bound to the request); throws OAuthError when the client cannot be trusted.
 */
export type UrlClientResolver = (clientId: string, seen: Application | undefined) => Promise<Application | undefined>

/**
 * Validates an authorization request given as name → every value sent (repeated
 * parameters are refused, §3.1). The order of checks matters: nothing is redirected
 * until the client and its redirect_uri are known to be genuine.
 */
export async function validateAuthorizeRequest(
  db: Db,
  config: Config,
  issuer: string,
  raw: Record<string, string[]>,
  resolveUrlClient: UrlClientResolver,
): Promise<AuthorizeOutcome> {
  const single = (name: keyof AuthorizeParams) => (raw[name]?.length === 1 ? raw[name][0] : undefined)
  const repeated = AUTHORIZE_PARAMS.filter((name) => (raw[name]?.length ?? 0) > 1 && !REPEATABLE.includes(name))
  const params = AuthorizeRequestSchema.parse(
    Object.fromEntries(AUTHORIZE_PARAMS.map((name) => [name, REPEATABLE.includes(name) ? raw[name] : single(name)])),
  )

  let application = params.client_id ? await findApplicationByClientId(db, params.client_id) : undefined
  if (params.client_id && isUrlClientId(params.client_id)) {
    try {
      application = await resolveUrlClient(params.client_id, application)
    } catch (error) {
      // A client ID metadata document that cannot be used: nothing about the client can be trusted.
      if (!(error instanceof OAuthError)) throw error
      const limited = error.status === 429
      const page = { kind: 'page', error: error.code, description: error.message } as const
      return limited ? { ...page, status: 429, headers: error.headers } : page
    }
  }
  if (!application || repeated.includes('client_id')) {
    return { kind: 'page', error: 'invalid_client_id', description: 'Unknown or missing client_id.' }
  }
  const registered = application.redirectUris
  const redirectUri = params.redirect_uri
  // §3.1.2.3/RFC 9700 §4.1.3: exact string match against a registered URI, nothing looser.
  if (
    !redirectUri ||
    repeated.includes('redirect_uri') ||
    !registered.includes(redirectUri) ||
    !isAllowedRedirectUri(redirectUri)
  ) {
    return { kind: 'page', error: 'invalid_redirect_uri', description: 'Missing or unregistered redirect_uri.' }
  }

  const tooLong = (Object.keys(MAX_PARAM_LENGTH) as (keyof typeof MAX_PARAM_LENGTH)[]).filter(
    (name) => (params[name]?.length ?? 0) > MAX_PARAM_LENGTH[name],
  )
  // An over-long state is not echoed back.
  const state = repeated.includes('state') || tooLong.includes('state') ? undefined : params.state
  const fail = (error: AuthorizeErrorCode, description: string): AuthorizeOutcome => ({
    kind: 'redirect',
    redirectUri,
    params: { error, error_description: description, state },
  })
  if (repeated.length > 0) return fail('invalid_request', `Repeated parameter: ${repeated.join(', ')}.`)
  if (tooLong.length > 0) return fail('invalid_request', `Parameter too long: ${tooLong.join(', ')}.`)
  if (!params.response_type) return fail('invalid_request', 'Missing parameter: response_type.')
  if (params.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.')
  if (!allowsGrant(application, 'authorization-code')) {
    return fail('unauthorized_client', 'This client may not use the authorization code grant.')
  }

  let scopes: string[]
  try {
    scopes = resolveScopes(params.scope, config, application)
  } catch (error) {
    if (error instanceof OAuthError) return fail('invalid_scope', error.message)
    throw error
  }

  const known = resources(issuer, config)
  let audience: Audience
  try {
    audience = requestedAudience(params.resource, known)
  } catch (error) {
    if (error instanceof OAuthError) return fail('invalid_target', error.message)
    throw error
  }

  const challenge = params.code_challenge ?? ''
  if (challenge === '') {
    if (params.code_challenge_method) return fail('invalid_request', 'code_challenge_method without code_challenge.')
    // RFC 7636 §4.4.1 / RFC 9700 §2.1.1: public clients must use PKCE.
    if (application.clientType === 'public')
      return fail('invalid_request', 'Public clients must send a code_challenge.')
  } else {
    // RFC 7636 §4.3: the method defaults to plain.
    const method = params.code_challenge_method ?? 'plain'
    if (!(PKCE_METHODS as readonly string[]).includes(method)) {
      return fail('invalid_request', 'Unsupported code_challenge_method.')
    }
    if (method === 'plain' && !config.pkceAllowPlain) {
      return fail('invalid_request', 'code_challenge_method=plain is not allowed; use S256.')
    }
    if (!PKCE_VALUE.test(challenge)) return fail('invalid_request', 'Malformed code_challenge.')
  }

  const prompt = (params.prompt ?? '').split(' ').filter(Boolean)
  if (!prompt.every((value) => (PROMPTS as readonly string[]).includes(value))) {
    return fail('invalid_request', 'Unsupported prompt value.')
  }
  // OIDC Core §3.1.2.1: "none" with any other value is an error.
  if (prompt.includes('none') && prompt.length > 1) return fail('invalid_request', 'prompt=none cannot be combined.')
  if (params.max_age !== undefined && !MAX_AGE.test(params.max_age)) {
    return fail('invalid_request', 'max_age must be a non-negative integer.')
  }

  return {
    kind: 'valid',
    request: {
      application,
      redirectUri,
      scopes,
      state,
      codeChallenge: challenge,
      codeChallengeMethod: challenge === '' ? '' : ((params.code_challenge_method ?? 'plain') as PkceMethod),
      nonce: params.nonce ?? '',
      prompt: prompt as Prompt[],
      maxAge: params.max_age === undefined ? null : Number(params.max_age),
      loginHint: params.login_hint,
      resources: params.resource?.length ? [...audience] : [],
      audience,
      known,
    },
  }
}

/** The audience to store with the request's code: null for the default. */
export function codeAudience(request: AuthorizeRequest): string | null {
  return storedAudience(request.audience, request.known)
}

/**
 * Whether the consent page may be skipped. RFC 8252 §8.6: a public client's client_id proves
 * nothing, so any app on the machine can send its request and listen on its loopback port;
 * without proof of the client's identity no request is approved automatically. So for public
 * clients earlier approvals never count, and a staff-set skip_authorization counts only for
 * a claimed https redirect_uri (which only the real client receives), not for a loopback one.
 */
export async function maySkipConsent(db: Db, request: AuthorizeRequest, userId: number): Promise<boolean> {
  const { application } = request
  if (application.clientType === 'public') {
    return application.skipAuthorization && !isLoopbackHost(new URL(request.redirectUri).hostname)
  }
  // DOT's APPROVAL_PROMPT = 'auto': an earlier grant that covers every requested scope.
  const coversAudience = (stored: string | null) => audienceCovers(audienceOf(stored, request.known), request.audience)
  return (
    application.skipAuthorization || (await hasLiveGrant(db, userId, application.id, request.scopes, coversAudience))
  )
}
