/**
 * @module
 * Client authentication at the token endpoint and every other endpoint that authenticates
 * clients (RFC 6749 §2.3): HTTP Basic (client_secret_basic), credentials in the body
 * (client_secret_post), or a JWT signed with the client's key (private_key_jwt, RFC 7523 §2.2:
 * ./client-assertion.ts); one method per request, never two. SECURITY.md "Client authentication
 * cost" gives the cost argument: no attempt costs more CPU than a login, and few may cost that much.
 */
import { floorMsOf, floorTimer } from '../accounts/password-timing.ts'
import { sha256Hex, timingSafeEqualText } from '../crypto/digest.ts'
import { isVerifiablePasswordHash, verifyPassword } from '../crypto/passwords.ts'
import type { Db } from '../db/client.ts'
import type { Application } from '../db/schema.ts'
import { schemeCredential, usesScheme } from '../http/authorization.ts'
import { CLIENT_CHALLENGE, OAuthError } from '../http/oauth.ts'
import { CLIENT_AUTH_LIMIT_PERIOD_SECONDS, type ClientAuthGate } from '../lib/rate-limit.ts'
import { adoptClientSecretDigest, findApplicationByClientId, slowestClientSecretQuery } from './applications.ts'
import {
  type AssertionCredentials,
  authenticateByAssertion,
  type ClientAssertionContext,
  readClientAssertion,
} from './client-assertion.ts'

/**
 * What authenticating a client needs from its request beyond the credentials
 * (./client-auth-context.ts): the failure limits (SECURITY.md "Client authentication cost") and,
 * for private_key_jwt, the audiences and key fetching.
 */
export type ClientAuthContext = { gate: ClientAuthGate; assertions: ClientAssertionContext }

/** RFC 8414 token_endpoint_auth_methods_supported: `none` is a public client. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const

type SecretCredentials = {
  clientId: string
  clientSecret: string | null
  method: Exclude<(typeof CLIENT_AUTH_METHODS)[number], 'private_key_jwt'>
}

export type ClientCredentials = SecretCredentials | AssertionCredentials

/** The form fields a client may authenticate with (RFC 6749 §2.3.1, RFC 7521 §4.2). */
export type ClientAuthenticationParams = {
  client_id?: string
  client_secret?: string
  client_assertion?: string
  client_assertion_type?: string
}

const BASIC = 'basic'
// RFC 7617 §2: the credentials are one base64 token68.
const BASE64 = /^[A-Za-z0-9+/]+=*$/

/** Reads the client's credentials from the Authorization header or the form body. */
export function readClientCredentials(
  authorization: string | undefined,
  body: ClientAuthenticationParams,
): ClientCredentials {
  if (body.client_assertion !== undefined) {
    if (usesScheme(authorization, BASIC) || body.client_secret !== undefined) {
      throw new OAuthError('invalid_request', 'Use only one client authentication method.')
    }
    return readClientAssertion(body)
  }
  if (usesScheme(authorization, BASIC)) {
    if (body.client_secret !== undefined) {
      throw new OAuthError('invalid_request', 'Use only one client authentication method.')
    }
    const credentials = decodeBasic(authorization)
    if (!credentials) {
      throw new OAuthError('invalid_client', 'Malformed HTTP Basic credentials.', basicChallenge)
    }
    if (body.client_id !== undefined && body.client_id !== credentials.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the Authorization header.')
    }
    return { ...credentials, method: 'client_secret_basic' }
  }
  if (!body.client_id) throw new OAuthError('invalid_client', 'Client authentication failed.', basicChallenge)
  return {
    clientId: body.client_id,
    clientSecret: body.client_secret ?? null,
    method: body.client_secret === undefined ? 'none' : 'client_secret_post',
  }
}

// RFC 6749 §5.2 / RFC 7235 §3.1: every invalid_client 401 names the scheme to retry with.
const basicChallenge = { status: 401, headers: { 'WWW-Authenticate': CLIENT_CHALLENGE } } as const

function decodeBasic(header: string | undefined): { clientId: string; clientSecret: string } | null {
  const credential = schemeCredential(header, BASIC)
  if (credential === null || !BASE64.test(credential)) return null
  let decoded: string
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(credential), (char) => char.charCodeAt(0)),
    )
  } catch {
    return null
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  try {
    // §2.3.1: both parts are form-urlencoded before being joined.
    return {
      clientId: decodeFormComponent(decoded.slice(0, colon)),
      clientSecret: decodeFormComponent(decoded.slice(colon + 1)),
    }
  } catch {
    return null
  }
}

function decodeFormComponent(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '))
}

/**
 * The application the credentials prove, or invalid_client (401, with a Basic challenge).
 * Confidential clients must present their secret; public ones must not. With `replica`, the
 * row a replica has answers first; a refusal is confirmed by the primary (`db`), since the
 * replica may not have an application created a moment ago. A caller that acts on a replica's
 * success re-checks it when it writes (the fences of src/tokens/fences.ts).
 *
 * A right secret is checked by its digest, and costs nothing more. Every other attempt — a wrong or
 * missing secret, an unknown client, and an imported DOT ≥ 2 client whose secret is still only
 * Django's hash — first passes `gate` (per client and per address, before any check; over it,
 * 429 slow_down without checking), then answers no sooner than the slowest stored Django client
 * secret could be checked (`clientSecretFloorMs`), so a wrong secret for an imported client and
 * for a native one cannot be told apart by time. Only then is an imported client's secret checked
 * against Django's hash, the slow way, once: on success its digest replaces the hash.
 */
export async function authenticateClient(
  db: Db,
  credentials: ClientCredentials,
  context: ClientAuthContext,
  replica?: Db | null,
): Promise<Application> {
  if (credentials.method === 'private_key_jwt') return authenticateByAssertion(credentials, context.assertions)
  const presented = credentials.clientSecret === null ? null : await sha256Hex(credentials.clientSecret)
  if (replica) {
    const seen = await findApplicationByClientId(replica, credentials.clientId)
    if (proves(seen, presented, credentials.method)) return seen
  }
  const application = await findApplicationByClientId(db, credentials.clientId)
  if (proves(application, presented, credentials.method)) return application
  if (!(await context.gate(credentials.clientId))) {
    throw new OAuthError('slow_down', 'Too many failed client authentications; retry later.', {
      status: 429,
      headers: { 'Retry-After': String(CLIENT_AUTH_LIMIT_PERIOD_SECONDS) },
    })
  }
  const floorMs = await clientSecretFloorMs(db)
  // Armed before the check, so the floor runs alongside its hashing, not after it.
  const floor = floorMs > 0 ? floorTimer.wait(floorMs) : undefined
  if (application && (await provesImportedSecret(db, application, credentials, presented))) return application
  await floor
  throw new OAuthError('invalid_client', 'Client authentication failed.', basicChallenge)
}

/** The wall time, in ms, a failed client authentication answers no sooner than: 0 while no slow Django secret is stored. */
async function clientSecretFloorMs(db: Db): Promise<number> {
  const [slowest] = await slowestClientSecretQuery(db)
  return slowest ? floorMsOf(slowest) : 0
}

function proves(
  application: Application | undefined,
  presented: string | null,
  method: SecretCredentials['method'],
): application is Application {
  if (!application) return false
  if (!usesRegisteredMethod(application, method)) return false
  if (application.clientType === 'public') return presented === null
  return presented !== null && timingSafeEqualText(presented, application.clientSecretHash)
}

// RFC 7591 §2: a client that registered one method authenticates with that one only.
function usesRegisteredMethod(application: Application, method: ClientCredentials['method']): boolean {
  return application.tokenEndpointAuthMethod === null || application.tokenEndpointAuthMethod === method
}

// DOT's client_secret field holds at most 255 characters: a longer secret is not one of its secrets.
const DJANGO_SECRET_MAX_LENGTH = 255

/**
 * An imported client's first authentication: its secret against Django's hash, then adopted as a
 * digest. Refused without hashing anything when the check could not succeed: a public client, no
 * secret or one DOT could not have stored, another auth method than the one registered, or a stored
 * hash this project does not verify (another format, or above PBKDF2_MAX_ITERATIONS / ARGON2_MAX_COST:
 * no stored parameters can make this check cost more than a login's).
 */
async function provesImportedSecret(
  db: Db,
  application: Application,
  credentials: SecretCredentials,
  presented: string | null,
): Promise<boolean> {
  const { djangoClientSecret } = application
  const secret = credentials.clientSecret
  if (djangoClientSecret === null || secret === null || presented === null) return false
  if (application.clientType !== 'confidential' || !usesRegisteredMethod(application, credentials.method)) return false
  if (secret.length === 0 || secret.length > DJANGO_SECRET_MAX_LENGTH) return false
  if (!isVerifiablePasswordHash(djangoClientSecret)) return false
  if (!(await verifyPassword(secret, djangoClientSecret))) return false
  await adoptClientSecretDigest(db, application, presented)
  return true
}
