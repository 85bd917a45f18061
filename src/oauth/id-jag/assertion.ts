/**
 * @module
 * An ID-JAG presented with the jwt-bearer grant (RFC 7523 §2.1; draft-ietf-oauth-identity-
 * assertion-authz-grant §4.4.1; MCP enterprise-managed authorization §5.1), checked against
 * RFC 7521 §5.2, RFC 7523 §3 and the draft:
 *
 * - the header: `typ` is `oauth-id-jag+jwt` (RFC 8725 §3.11), `alg` an asymmetric algorithm;
 * - `iss` is a trusted identity provider (./trusted-idps.ts), never this server itself (§8.3);
 * - `aud` is this server's issuer: a string, or an array holding exactly that one value;
 * - `client_id` is the authenticated client's;
 * - `exp` in the future (at most an hour away: its jti is kept that long), `iat` present and not
 *   ahead of this server's clock by more than a minute, `nbf` likewise when present;
 * - `jti` present (used once: the grant records it with the token, src/tokens/replay.ts), `sub` present;
 * - `resource` present (MCP §4.3 requires it; the token is bound to it), `scope` a string when present;
 * - the signature by one of the provider's keys.
 *
 * The cheap checks come first; the provider's keys are read (or fetched) only for a JWT that
 * passed them. Every refusal is invalid_grant (RFC 6749 §5.2, RFC 7521 §4.1.1) with a description.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose'
import type { Db } from '../../db/client.ts'
import type { TrustedIdentityProvider } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import {
  CLIENT_ASSERTION_ALGORITHMS,
  type KeyFetchContext,
  KeysUnavailable,
  type SignedHeader,
  signedByKeysOf,
} from '../client-keys.ts'
import { findTrustedIdp } from './trusted-idps.ts'

/** The `typ` of an ID-JAG (the draft's §9.1 media type). */
export const ID_JAG_TYP = 'oauth-id-jag+jwt'

/** The longest an ID-JAG may be valid for, from now: its jti is kept that long. */
const MAX_ID_JAG_LIFETIME_SECONDS = 3600
/** How far ahead of this server's clock an identity provider's may run (iat, nbf). */
const CLOCK_LEEWAY_SECONDS = 60
const MAX_JTI_LENGTH = 256
const MAX_RESOURCES = 10

export type VerifiedIdJag = {
  provider: TrustedIdentityProvider
  payload: JWTPayload
  sub: string
  jti: string
  exp: number
  /** The `resource` claim's values, as sent (one or several). */
  resources: string[]
  /** The `scope` claim's value, or null when it has none. */
  scope: string | null
}

export type IdJagContext = {
  /** This server's issuer: the one `aud` value accepted. */
  issuer: string
  /** The authenticated client's client_id. */
  clientId: string
  /** Where the trust list is read. */
  db: Db
  keys: Omit<KeyFetchContext, 'now'>
  now: number
}

function refuse(description: string): never {
  throw new OAuthError('invalid_grant', description)
}

// RFC 7515 §4.1.9: a media type, compared case-insensitively, its `application/` prefix optional.
function isIdJagType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false
  const type = typ.toLowerCase()
  return type === ID_JAG_TYP || type === `application/${ID_JAG_TYP}`
}

function checkHeader(assertion: string): SignedHeader {
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(assertion)
  } catch {
    refuse('The assertion is not a JWT.')
  }
  if (!isIdJagType(header.typ)) refuse(`The assertion is not an ID-JAG: its typ must be ${ID_JAG_TYP}.`)
  if (!(CLIENT_ASSERTION_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
    refuse(`The ID-JAG’s alg must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}.`)
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') refuse('The ID-JAG’s kid is not a string.')
  return header as SignedHeader
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''

/** The claims that need no key, in the order the draft lists them. */
function checkClaims(payload: JWTPayload, context: IdJagContext): Omit<VerifiedIdJag, 'provider' | 'payload'> {
  const { aud } = payload
  // §4.4.1: a string, or an array holding exactly one element, which is this server's issuer.
  const audience = Array.isArray(aud) ? (aud.length === 1 ? aud[0] : undefined) : aud
  if (audience !== context.issuer) refuse('The ID-JAG’s aud must be this authorization server’s issuer (only).')
  if (payload.client_id !== context.clientId) refuse('The ID-JAG was issued for another client (client_id).')
  const { exp, iat, nbf, jti, sub } = payload
  if (typeof exp !== 'number') refuse('The ID-JAG has no exp.')
  if (exp <= context.now) refuse('The ID-JAG has expired (exp).')
  if (exp > context.now + MAX_ID_JAG_LIFETIME_SECONDS) {
    refuse(`The ID-JAG’s exp is more than ${MAX_ID_JAG_LIFETIME_SECONDS} seconds away.`)
  }
  if (typeof iat !== 'number') refuse('The ID-JAG has no iat.')
  for (const [claim, value] of [
    ['iat', iat],
    ['nbf', nbf],
  ] as const) {
    if (value === undefined) continue
    if (typeof value !== 'number') refuse(`The ID-JAG’s ${claim} is not a number.`)
    if (value > context.now + CLOCK_LEEWAY_SECONDS) refuse(`The ID-JAG’s ${claim} is in the future.`)
  }
  if (!isText(jti) || jti.length > MAX_JTI_LENGTH) refuse('The ID-JAG has no jti (at most 256 characters).')
  if (!isText(sub)) refuse('The ID-JAG has no sub.')
  const resource = payload.resource
  const resources = Array.isArray(resource) ? resource : resource === undefined ? [] : [resource]
  if (resources.length === 0) refuse('The ID-JAG names no resource: it must say which resource it is for.')
  if (resources.length > MAX_RESOURCES || !resources.every(isText)) {
    refuse('The ID-JAG’s resource must be a URI or a list of at most 10.')
  }
  const { scope } = payload
  if (scope !== undefined && typeof scope !== 'string') refuse('The ID-JAG’s scope must be a string.')
  return { sub, jti, exp, resources, scope: scope ?? null }
}

/**
 * The ID-JAG `assertion` proves, for the client of `context`; invalid_grant otherwise. Its jti
 * is not recorded here: the token it allows and that record are written together.
 */
export async function verifyIdJag(assertion: string, context: IdJagContext): Promise<VerifiedIdJag> {
  const header = checkHeader(assertion)
  let payload: JWTPayload
  try {
    payload = decodeJwt(assertion)
  } catch {
    refuse('The assertion is not a JWT.')
  }
  if (!isText(payload.iss)) refuse('The ID-JAG has no iss.')
  // §8.3: "the IdP MUST NOT issue access tokens in response to an ID-JAG it issued itself".
  if (payload.iss === context.issuer) refuse('This server does not accept ID-JAGs it issued itself.')
  const claims = checkClaims(payload, context)
  const provider = await findTrustedIdp(context.db, payload.iss)
  if (!provider) refuse('The ID-JAG’s issuer is not a trusted identity provider here.')
  try {
    const holder = { ...provider, kind: 'identity provider' }
    const signed = await signedByKeysOf(assertion, header, holder, { ...context.keys, now: context.now })
    if (!signed) refuse('The ID-JAG is not signed by a key of its issuer.')
  } catch (error) {
    if (error instanceof KeysUnavailable) refuse(error.message)
    throw error
  }
  return { provider, payload, ...claims }
}
