/**
 * @module
 * The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2,
 * OIDC Core §3.1.2.1, RFC 9126 §4): ONE schema, read from name → every value sent, so that a
 * repeated parameter is seen and refused (§3.1) rather than one value silently winning.
 */
import { z } from 'zod'
import type { RawParams } from '../../lib/forms.ts'

const param = z.string().optional()

/** Every parameter /o/authorize/ (and /o/par/) reads; OIDC parameters (prompt, max_age, …) belong here too. */
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
  // RFC 9126 §4: the reference to a pushed request (at /o/authorize/ only; refused at /o/par/).
  request_uri: param,
})

export type AuthorizeParams = z.infer<typeof AuthorizeRequestSchema>
export const AUTHORIZE_PARAMS = Object.keys(AuthorizeRequestSchema.shape) as (keyof AuthorizeParams)[]

// Parameters that may be sent more than once; every other one is refused when repeated (§3.1).
const REPEATABLE: readonly (keyof AuthorizeParams)[] = ['resource']

/**
 * Longest accepted values (UTF-16 code units). These values are echoed in redirects, stored with
 * the code or put in id_tokens; nothing legitimate comes near (a JWT-encoded state fits 2048).
 * code_challenge is bounded by its own grammar (43–128, RFC 7636 §4.2); the rest are checked against lists.
 * @internal Exported for tests: test/hardening/authorize-request.test.ts sends each parameter one over.
 */
export const MAX_PARAM_LENGTH = { state: 2048, nonce: 512, scope: 1024, login_hint: 256 } as const

/** The request's parameters: each sent once (or, `resource`, any number of times), and what was sent wrong. */
export type AuthorizeInput = {
  params: AuthorizeParams
  /** Names sent more than once that may not be (read as absent in `params`). */
  repeated: (keyof AuthorizeParams)[]
  /** Names whose value is over MAX_PARAM_LENGTH. */
  tooLong: (keyof typeof MAX_PARAM_LENGTH)[]
}

export function readAuthorizeParams(raw: RawParams): AuthorizeInput {
  const single = (name: keyof AuthorizeParams) => (raw[name]?.length === 1 ? raw[name][0] : undefined)
  const repeated = AUTHORIZE_PARAMS.filter((name) => (raw[name]?.length ?? 0) > 1 && !REPEATABLE.includes(name))
  const params = AuthorizeRequestSchema.parse(
    Object.fromEntries(AUTHORIZE_PARAMS.map((name) => [name, REPEATABLE.includes(name) ? raw[name] : single(name)])),
  )
  const tooLong = (Object.keys(MAX_PARAM_LENGTH) as (keyof typeof MAX_PARAM_LENGTH)[]).filter(
    (name) => (params[name]?.length ?? 0) > MAX_PARAM_LENGTH[name],
  )
  return { params, repeated, tooLong }
}

/** Only the authorization request's own parameters, as sent (what a pushed request stores). */
export function authorizeParamsOf(raw: RawParams): RawParams {
  return Object.fromEntries(AUTHORIZE_PARAMS.filter((name) => raw[name] !== undefined).map((name) => [name, raw[name]]))
}
