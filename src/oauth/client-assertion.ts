/**
 * @module
 * private_key_jwt client authentication (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OpenID Connect Core
 * §9): the client sends `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
 * and `client_assertion`, a JWT it signed with one of its registered keys (./client-keys.ts):
 *
 * - `iss` and `sub` are its client_id (§3 (1), (2)); `aud` names this server: the issuer or the
 *   token endpoint URL (§3 (3)), or at /o/par/ that endpoint's URL (RFC 9126 §2);
 * - `exp` is required and in the future, at most an hour away (§3 (4): "unreasonably far" may be
 *   refused); `nbf` and `iat`, when present, not ahead of this server's clock by more than a minute;
 * - `jti` is required (OIDC Core §9) and used once (§3 (7)): the replay store (src/tokens/replay.ts)
 *   holds it until `exp`, across isolates;
 * - the signature is by an asymmetric algorithm (never `none` or HMAC) and one of the client's keys.
 *
 * The cheap checks come first: an unauthenticated request costs at most one key-set read and a
 * few signature verifications. Every refusal is invalid_client (401, RFC 7521 §4.2.1), with a
 * description saying what was wrong.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose'
import type { Db } from '../db/client.ts'
import type { Application } from '../db/schema.ts'
import { CLIENT_CHALLENGE, OAuthError } from '../http/oauth.ts'
import { nowSeconds } from '../lib/time.ts'
import { recordJtiUse } from '../tokens/replay.ts'
import { findApplicationByClientId } from './applications.ts'
import {
  CLIENT_ASSERTION_ALGORITHMS,
  type KeyFetchContext,
  KeysUnavailable,
  type SignedHeader,
  signedByKeysOf,
} from './client-keys.ts'

/** RFC 7523 §2.2 client_assertion_type. */
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** The longest an assertion may be valid for (RFC 7523 §3 (4)): its jti is kept that long. */
const MAX_LIFETIME_SECONDS = 3600
/** How far ahead of this server's clock a client's may run (nbf, iat). */
const CLOCK_LEEWAY_SECONDS = 60
const MAX_JTI_LENGTH = 256

export type AssertionCredentials = {
  clientId: string
  clientSecret: null
  method: 'private_key_jwt'
  assertion: string
}

/** What checking an assertion needs from the request. */
export type ClientAssertionContext = {
  /** The `aud` values that name this server at this endpoint. */
  audiences: readonly string[]
  /** The primary database: the client's row is read there, the jti recorded there. */
  db: Db
  keys: Omit<KeyFetchContext, 'now'>
}

function refuse(description: string): never {
  throw new OAuthError('invalid_client', description, {
    status: 401,
    headers: { 'WWW-Authenticate': CLIENT_CHALLENGE },
  })
}

/**
 * RFC 7521 §4.2: the credentials of a request carrying a client assertion. The client is the
 * assertion's `sub` (checked against its `iss` and signature later); a client_id sent beside it
 * must name the same client.
 */
export function readClientAssertion(body: {
  client_id?: string
  client_assertion?: string
  client_assertion_type?: string
}): AssertionCredentials {
  const assertion = body.client_assertion ?? ''
  if (body.client_assertion_type === undefined) {
    throw new OAuthError('invalid_request', 'client_assertion_type is required with client_assertion.')
  }
  if (body.client_assertion_type !== CLIENT_ASSERTION_TYPE) {
    refuse(`Unsupported client_assertion_type; use ${CLIENT_ASSERTION_TYPE}.`)
  }
  let sub: unknown
  try {
    sub = decodeJwt(assertion).sub
  } catch {
    refuse('The client_assertion is not a JWT.')
  }
  if (typeof sub !== 'string' || sub === '') refuse('The client_assertion has no sub (the client_id).')
  if (body.client_id !== undefined && body.client_id !== sub) {
    refuse('client_id differs from the client the client_assertion is for.')
  }
  return { clientId: sub, clientSecret: null, method: 'private_key_jwt', assertion }
}

/** The checks of the claims (all before any signature work). */
function checkClaims(payload: JWTPayload, clientId: string, audiences: readonly string[], now: number): void {
  if (payload.iss !== clientId) refuse('The client_assertion’s iss must be the client_id.')
  if (payload.sub !== clientId) refuse('The client_assertion’s sub must be the client_id.')
  const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (!aud.some((value) => audiences.includes(value))) {
    refuse('The client_assertion’s aud must be this server’s issuer or its token endpoint URL.')
  }
  if (typeof payload.exp !== 'number') refuse('The client_assertion has no exp.')
  if (payload.exp <= now) refuse('The client_assertion has expired (exp).')
  if (payload.exp > now + MAX_LIFETIME_SECONDS) {
    refuse(`The client_assertion’s exp is more than ${MAX_LIFETIME_SECONDS} seconds away.`)
  }
  for (const claim of ['nbf', 'iat'] as const) {
    const value = payload[claim]
    if (value === undefined) continue
    if (typeof value !== 'number') refuse(`The client_assertion’s ${claim} is not a number.`)
    if (value > now + CLOCK_LEEWAY_SECONDS) refuse(`The client_assertion’s ${claim} is in the future.`)
  }
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) {
    refuse('The client_assertion has no jti (a unique identifier, at most 256 characters).')
  }
}

/**
 * The application `credentials` prove, or invalid_client (401). Read from the primary: the keys
 * must be current (a rotation removes a key at once), and the jti is recorded there anyway.
 */
export async function authenticateByAssertion(
  credentials: AssertionCredentials,
  context: ClientAssertionContext,
  now = nowSeconds(),
): Promise<Application> {
  let header: SignedHeader
  let payload: JWTPayload
  try {
    header = decodeProtectedHeader(credentials.assertion) as SignedHeader
    payload = decodeJwt(credentials.assertion)
  } catch {
    refuse('The client_assertion is not a JWT.')
  }
  if (!(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(header.alg)) {
    refuse(`The client_assertion’s alg must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}.`)
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') refuse('The client_assertion’s kid is not a string.')
  checkClaims(payload, credentials.clientId, context.audiences, now)

  const application = await findApplicationByClientId(context.db, credentials.clientId)
  // RFC 7591 §2: a client that registered one method authenticates with that one only.
  const method = application?.tokenEndpointAuthMethod
  if (application?.clientType !== 'confidential' || (method !== null && method !== 'private_key_jwt')) {
    refuse('Client authentication failed.')
  }
  try {
    const verified = await signedByKeysOf(credentials.assertion, header, application, { ...context.keys, now })
    if (!verified) refuse('The client_assertion is not signed by a key of this client.')
  } catch (error) {
    if (error instanceof KeysUnavailable) refuse(error.message)
    throw error
  }
  const first = await recordJtiUse(context.db, {
    purpose: 'client_assertion',
    issuer: application.clientId,
    jti: payload.jti as string,
    expiresAt: payload.exp as number,
  })
  if (!first) refuse('This client_assertion was already used (its jti).')
  return application
}
