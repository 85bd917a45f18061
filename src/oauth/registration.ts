/**
 * @module
 * Dynamic client registration (RFC 7591) and its management protocol (RFC 7592): clients such as
 * MCP clients register themselves at /o/register/ and get an ordinary application, with no owner.
 *
 * - Metadata is checked by the same rules as the management API and the CLI
 *   (application-rules.ts), plus RFC 7591's own: only the authorization code grant (with refresh
 *   tokens) and `response_types=code`. A registered client can never use the password or
 *   client_credentials grants, skip the consent page or introspect.
 * - The registration access token (RFC 7592 §1.2) is stored as a SHA-256 digest and compared in
 *   constant time; it manages exactly the client it was issued with, and is accepted nowhere else.
 * - A registered client unused for `unusedLifetime` is deleted by the cron cleanup. "Used" means
 *   a token request; `last_used_at` is written at most once a day (REGISTRATION_TOUCH_INTERVAL_SECONDS),
 *   from the application row the token endpoint has already read, so a busy client costs no D1
 *   write per request.
 */
import { and, eq, inArray, isNotNull, lt, type SQL, sql } from 'drizzle-orm'
import { type Config, REGISTRATION_TOUCH_INTERVAL_SECONDS } from '../config.ts'
import { sha256Hex, timingSafeEqualText } from '../crypto/digest.ts'
import { mintRegistrationToken } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { type Application, applications } from '../db/schema.ts'
import { OAuthError } from '../http/oauth.ts'
import { isLoopbackHost } from '../lib/loopback.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'
import { issuerOrigin } from '../resource/issuer.ts'
import { fencedChange } from '../tokens/fan-out.ts'
import { deleteApplicationTokens } from '../tokens/revocation.ts'
import type { TokenStore } from '../tokens/store.ts'
import { applicationProblems, clientNameProblem } from './application-rules.ts'
import { createApplication } from './applications.ts'
import { CLIENT_AUTH_METHODS } from './client-auth.ts'
import { checkKeySet, jwksUriProblem, type PublicKeySet } from './client-keys.ts'
import { ENDPOINTS } from './metadata.ts'
import { INTROSPECTION_SCOPE } from './scopes.ts'

type AuthMethod = (typeof CLIENT_AUTH_METHODS)[number]
type ApplicationType = 'web' | 'native'

/** RFC 7591 §2 grant_types a registered client may hold: refresh tokens come with the code grant. */
const REGISTRABLE_GRANTS = ['authorization_code', 'refresh_token'] as const
const DEFAULT_CLIENT_NAME = 'Unnamed client'

/** The metadata this server understands (RFC 7591 §2), checked; everything else sent is ignored (§2). */
export type ClientMetadata = {
  redirectUris: string[]
  clientName: string
  tokenEndpointAuthMethod: AuthMethod
  applicationType: ApplicationType
  /** What the client gets when it asks for none (src/oauth/scopes.ts); null: the configured default. */
  scope: string[] | null
  /** RFC 9126 §6: authorization requests only by PAR. */
  requirePushedAuthorizationRequests: boolean
  /** RFC 9449 §5.2: every token request carries a DPoP proof. */
  dpopBoundAccessTokens: boolean
  /** private_key_jwt: the client's public keys, or where they are (./client-keys.ts); null for the other methods. */
  keys: { jwks: PublicKeySet; jwksUri: null } | { jwks: null; jwksUri: string } | null
}

/** RFC 7591 §3.2.2: the error a registration request is refused with (400). */
function refuse(code: 'invalid_redirect_uri' | 'invalid_client_metadata', description: string): never {
  throw new OAuthError(code, description)
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    refuse('invalid_client_metadata', `${field} must be an array of strings.`)
  }
  return value
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') refuse('invalid_client_metadata', `${field} must be a string.`)
  return value
}

/**
 * The client metadata of a registration (RFC 7591 §2) or update (RFC 7592 §2.2) request, or the
 * RFC 7591 §3.2.2 error. Omitted fields take their RFC 7591 defaults.
 */
export function parseClientMetadata(body: unknown, config: Config): ClientMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    refuse('invalid_client_metadata', 'The request body must be a JSON object of client metadata.')
  }
  const fields = body as Record<string, unknown>

  // §2: grant_types defaults to authorization_code; response_types to code.
  const grantTypes = stringList(fields.grant_types, 'grant_types') ?? ['authorization_code']
  const unsupportedGrants = grantTypes.filter((grant) => !(REGISTRABLE_GRANTS as readonly string[]).includes(grant))
  if (unsupportedGrants.length > 0) {
    refuse(
      'invalid_client_metadata',
      `grant_types not available to registered clients: ${unsupportedGrants.join(', ')}. Use authorization_code (and refresh_token).`,
    )
  }
  if (!grantTypes.includes('authorization_code')) {
    refuse('invalid_client_metadata', 'grant_types must include authorization_code.')
  }
  const responseTypes = stringList(fields.response_types, 'response_types') ?? ['code']
  // §2.1: authorization_code goes with response type code, and nothing else is supported.
  if (responseTypes.length === 0 || responseTypes.some((type) => type !== 'code')) {
    refuse('invalid_client_metadata', 'response_types must be ["code"], as the authorization_code grant needs.')
  }

  // §2: client_secret_basic when omitted.
  const method =
    optionalString(fields.token_endpoint_auth_method, 'token_endpoint_auth_method') ?? 'client_secret_basic'
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(method)) {
    refuse('invalid_client_metadata', `Unsupported token_endpoint_auth_method: ${method}.`)
  }
  const tokenEndpointAuthMethod = method as AuthMethod

  // OIDC Dynamic Client Registration §2: web when omitted.
  const type = optionalString(fields.application_type, 'application_type') ?? 'web'
  if (type !== 'web' && type !== 'native') refuse('invalid_client_metadata', 'application_type must be web or native.')

  const redirectUris = stringList(fields.redirect_uris, 'redirect_uris')
  if (redirectUris === undefined || redirectUris.length === 0) {
    refuse('invalid_redirect_uri', 'redirect_uris is required: the authorization_code grant needs one (RFC 7591 §2).')
  }
  // The management API's and the CLI's rules, worded as RFC 7591 errors.
  const problems = applicationProblems({
    clientType: tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
    grantTypes: ['authorization-code'],
    redirectUris,
  })
  if (problems) {
    const [field, messages] = Object.entries(problems)[0]
    const value = field.startsWith('redirect_uris.') ? redirectUris[Number(field.split('.')[1])] : undefined
    refuse(
      field.startsWith('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata',
      value === undefined ? messages[0] : `${value}: ${messages[0]}`,
    )
  }
  // OIDC Registration §2: a native client redirects to the device itself (RFC 8252 §7.3 loopback;
  // the custom schemes of §7.1 are not accepted here); an https redirect is a web client's.
  if (type === 'native') {
    const remote = redirectUris.find((uri) => !isLoopbackHost(new URL(uri).hostname))
    if (remote) refuse('invalid_redirect_uri', `${remote}: a native client redirects to a loopback address.`)
  }

  const name = optionalString(fields.client_name, 'client_name')?.trim()
  const nameProblem = name === undefined ? null : clientNameProblem(name)
  if (nameProblem) refuse('invalid_client_metadata', nameProblem)

  const scopeText = optionalString(fields.scope, 'scope')
  let scope: string[] | null = null
  if (scopeText !== undefined && scopeText.trim() !== '') {
    scope = parseScope(scopeText)
    const refused = scope.filter((item) => !Object.hasOwn(config.scopes, item) || item === INTROSPECTION_SCOPE)
    if (refused.length > 0) refuse('invalid_client_metadata', `scope not available: ${refused.join(' ')}.`)
  }

  const keys = parseKeys(fields, tokenEndpointAuthMethod)

  // RFC 9126 §6: false when omitted.
  const requirePushed = fields.require_pushed_authorization_requests ?? false
  if (typeof requirePushed !== 'boolean') {
    refuse('invalid_client_metadata', 'require_pushed_authorization_requests must be a boolean.')
  }
  // RFC 9449 §5.2: false when omitted.
  const dpopBound = fields.dpop_bound_access_tokens ?? false
  if (typeof dpopBound !== 'boolean') refuse('invalid_client_metadata', 'dpop_bound_access_tokens must be a boolean.')

  return {
    redirectUris: [...new Set(redirectUris)],
    clientName: name || DEFAULT_CLIENT_NAME,
    tokenEndpointAuthMethod,
    applicationType: type,
    scope,
    requirePushedAuthorizationRequests: requirePushed,
    dpopBoundAccessTokens: dpopBound,
    keys,
  }
}

/**
 * RFC 7591 §2 jwks / jwks_uri, never both; here for private_key_jwt (RFC 7523 §2.2) only, which
 * needs one of them. A set with private or symmetric key material, or a jwks_uri that is not a
 * public https URL, is refused (./client-keys.ts).
 */
function parseKeys(fields: Record<string, unknown>, method: AuthMethod): ClientMetadata['keys'] {
  const { jwks, jwks_uri: jwksUri } = fields
  if (jwks !== undefined && jwksUri !== undefined) {
    refuse('invalid_client_metadata', 'jwks and jwks_uri may not both be present (RFC 7591 §2).')
  }
  if (method !== 'private_key_jwt') {
    if (jwks !== undefined || jwksUri !== undefined) {
      refuse(
        'invalid_client_metadata',
        'jwks and jwks_uri are used with token_endpoint_auth_method private_key_jwt only.',
      )
    }
    return null
  }
  if (jwks === undefined && jwksUri === undefined) {
    refuse('invalid_client_metadata', 'private_key_jwt needs the client’s public keys: jwks or jwks_uri.')
  }
  if (jwksUri !== undefined) {
    const problem = typeof jwksUri === 'string' ? jwksUriProblem(jwksUri) : 'jwks_uri must be a string.'
    if (problem) refuse('invalid_client_metadata', problem)
    return { jwks: null, jwksUri: jwksUri as string }
  }
  const set = checkKeySet(jwks)
  if (typeof set === 'string') refuse('invalid_client_metadata', set)
  return { jwks: set, jwksUri: null }
}

/** The registration access token a client presents to its configuration endpoint, by its client_id. */
type RegistrationCredentials = { clientId: string; token: string | null }

/** RFC 7592 §1.2 registration_client_uri: the client configuration endpoint of one client. */
function registrationClientUri(issuer: string, clientId: string): string {
  return `${issuerOrigin(issuer)}${ENDPOINTS.registration}${encodeURIComponent(clientId)}/`
}

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response (no secret: only its digest is kept). */
export function clientInformation(application: Application, issuer: string): Record<string, unknown> {
  return {
    client_id: application.clientId,
    client_id_issued_at: Math.floor(application.createdAt.getTime() / 1000),
    // §3.2.1: required with a secret; 0 = it does not expire. A client holding a key has none.
    ...(application.clientSecretHash !== '' ? { client_secret_expires_at: 0 } : {}),
    registration_client_uri: registrationClientUri(issuer, application.clientId),
    client_name: application.name,
    redirect_uris: application.redirectUris,
    // What the server will do for it: the code grant issues refresh tokens too.
    grant_types: [...REGISTRABLE_GRANTS],
    response_types: ['code'],
    token_endpoint_auth_method: application.tokenEndpointAuthMethod,
    ...(application.jwks !== null ? { jwks: JSON.parse(application.jwks) } : {}),
    ...(application.jwksUri !== null ? { jwks_uri: application.jwksUri } : {}),
    application_type: application.applicationType,
    ...(application.registeredScope !== null ? { scope: application.registeredScope } : {}),
    // RFC 9126 §6: omitted means false.
    ...(application.requirePushedAuthorizationRequests ? { require_pushed_authorization_requests: true } : {}),
    // RFC 9449 §5.2: omitted means false.
    ...(application.dpopBoundAccessTokens ? { dpop_bound_access_tokens: true } : {}),
  }
}

function columns(metadata: ClientMetadata) {
  return {
    name: metadata.clientName,
    redirectUris: metadata.redirectUris,
    tokenEndpointAuthMethod: metadata.tokenEndpointAuthMethod,
    applicationType: metadata.applicationType,
    registeredScope: metadata.scope === null ? null : metadata.scope.join(' '),
    requirePushedAuthorizationRequests: metadata.requirePushedAuthorizationRequests,
    dpopBoundAccessTokens: metadata.dpopBoundAccessTokens,
    jwks: metadata.keys?.jwks ? JSON.stringify(metadata.keys.jwks) : null,
    jwksUri: metadata.keys?.jwksUri ?? null,
  }
}

/** RFC 7591 §3: a new application for `metadata`; its secret and registration token are shown once. */
export async function registerClient(db: Db, metadata: ClientMetadata) {
  const registrationToken = mintRegistrationToken()
  const {
    name,
    redirectUris,
    requirePushedAuthorizationRequests,
    dpopBoundAccessTokens,
    jwks,
    jwksUri,
    ...registration
  } = columns(metadata)
  const { clientSecret, ...application } = await createApplication(db, {
    name,
    clientType: metadata.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
    // private_key_jwt: the client proves itself with its key; no secret is issued.
    ...(metadata.keys
      ? { clientSecret: null, jwks: metadata.keys.jwks ?? undefined, jwksUri: metadata.keys.jwksUri ?? undefined }
      : {}),
    grantTypes: ['authorization-code'],
    redirectUris,
    requirePushedAuthorizationRequests,
    dpopBoundAccessTokens,
    userId: null,
    skipAuthorization: false,
    canIntrospect: false,
    registration: { ...registration, registrationTokenHash: await sha256Hex(registrationToken) },
  })
  return { application, clientSecret, registrationToken }
}

/**
 * RFC 7592 §2: the registered client whose configuration endpoint was called, if `token` is its
 * registration access token; null otherwise (unknown client, not registered, wrong or no token),
 * all alike: §2 answers each with 401.
 */
export async function findRegisteredClient(db: Db, credentials: RegistrationCredentials): Promise<Application | null> {
  const presented = credentials.token === null ? null : await sha256Hex(credentials.token)
  const application = await db.select().from(applications).where(eq(applications.clientId, credentials.clientId)).get()
  const stored = application?.registrationTokenHash ?? null
  if (!application || stored === null || presented === null) return null
  return timingSafeEqualText(presented, stored) ? application : null
}

/**
 * RFC 7592 §2.2: the new metadata replaces the old. The client_id must be the client's own, a
 * client_secret sent must be its current one, and a client may not move between public and
 * confidential (a secret would have to appear or vanish): that is a new registration. A client
 * that comes to require DPoP (RFC 9449 §5.2) moves its generation on behind a fence in every token
 * shard (src/tokens/fences.ts), so a grant that read it before, from a replica, mints no Bearer
 * token.
 */
export async function updateRegisteredClient(
  store: TokenStore,
  application: Application,
  body: Record<string, unknown>,
  metadata: ClientMetadata,
): Promise<Application> {
  for (const field of [
    'registration_access_token',
    'registration_client_uri',
    'client_secret_expires_at',
    'client_id_issued_at',
  ]) {
    if (field in body) refuse('invalid_client_metadata', `${field} may not be sent in an update (RFC 7592 §2.2).`)
  }
  if (body.client_id !== application.clientId) {
    refuse('invalid_client_metadata', 'client_id must be sent and be this client’s own.')
  }
  if (body.client_secret !== undefined) {
    const matches =
      typeof body.client_secret === 'string' &&
      application.clientType === 'confidential' &&
      timingSafeEqualText(await sha256Hex(body.client_secret), application.clientSecretHash)
    if (!matches) refuse('invalid_client_metadata', 'client_secret does not match the one issued.')
  }
  // The credential the client holds (none, a secret, a key) is fixed at registration.
  const credential = (method: string | null) => (method === 'none' || method === 'private_key_jwt' ? method : 'secret')
  if (credential(application.tokenEndpointAuthMethod) !== credential(metadata.tokenEndpointAuthMethod)) {
    refuse(
      'invalid_client_metadata',
      'token_endpoint_auth_method cannot change between none, a client secret and private_key_jwt.',
    )
  }
  const values = { ...columns(metadata), updatedAt: new Date() }
  const update = (set: typeof values & { generation?: SQL }) =>
    store.db.update(applications).set(set).where(eq(applications.id, application.id)).returning()
  if (!metadata.dpopBoundAccessTokens || application.dpopBoundAccessTokens) return update(values).get()
  const [[updated]] = (await fencedChange(store, {
    fenced: { application: application.id },
    until: 'next',
    change: [update({ ...values, generation: sql`${applications.generation} + 1` })],
  })) as Application[][]
  return updated
}

/** RFC 7592 §2.3: the client, its tokens (KV purged) and its codes, in every token shard, are gone. */
export async function deleteRegisteredClient(store: TokenStore, application: Application): Promise<void> {
  await deleteApplicationTokens(
    store,
    application.id,
    store.db.delete(applications).where(eq(applications.id, application.id)),
  )
}

/**
 * Records that a registered client (or one from a client ID metadata document) obtained a token,
 * when the last record is older than a touch interval; undefined (no write) otherwise and for
 * applications a person made.
 */
export function touchRegisteredClient(
  db: Db,
  application: Application,
  now = nowSeconds(),
): Promise<unknown> | undefined {
  if (application.registrationTokenHash === null && application.metadataDocumentFreshUntil === null) return undefined
  const last = application.lastUsedAt ?? Math.floor(application.createdAt.getTime() / 1000)
  if (now - last < REGISTRATION_TOUCH_INTERVAL_SECONDS) return undefined
  return db.update(applications).set({ lastUsedAt: now }).where(eq(applications.id, application.id)).run()
}

/** Rows one cleanup DELETE removes (one bound parameter each, plus the limit). */
const CLEANUP_BATCH_ROWS = 200
const CLEANUP_MAX_BATCHES = 10

/**
 * The clients nobody made by hand, each kind by the column that marks it (and its partial index):
 * registered ones, and those from a client ID metadata document (src/oauth/client-metadata-document.ts).
 */
const SELF_SERVED_MARKERS = [applications.registrationTokenHash, applications.metadataDocumentFreshUntil] as const
type SelfServedMarker = (typeof SELF_SERVED_MARKERS)[number]

/**
 * One bounded DELETE of clients of one kind (registered, by default) not used since `cutoff`;
 * the inner SELECT walks that kind's partial index.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
export function unusedRegistrationsBatch(
  db: Db,
  cutoff: number,
  rows: number,
  marker: SelfServedMarker = applications.registrationTokenHash,
) {
  const unused = db
    .select({ id: applications.id })
    .from(applications)
    .where(and(isNotNull(marker), lt(sql`coalesce(${applications.lastUsedAt}, ${applications.createdAt})`, cutoff)))
    .limit(rows)
  return db.delete(applications).where(inArray(applications.id, unused))
}

/**
 * Deletes registered clients, and clients from metadata documents, unused for the configured
 * lifetime (cron cleanup); their tokens go with them (ON DELETE CASCADE) and have all expired:
 * the lifetime outlasts a refresh token issued at the last recorded use (src/config.ts). A
 * document's client comes back at its next use. Returns how many were deleted.
 */
export async function deleteUnusedRegistrations(db: Db, config: Config, now = nowSeconds()): Promise<number> {
  const lifetime = config.clientRegistration.unusedLifetime
  if (lifetime === null) return 0
  let total = 0
  for (const marker of SELF_SERVED_MARKERS) {
    for (let batch = 0; batch < CLEANUP_MAX_BATCHES; batch++) {
      const deleted = (await unusedRegistrationsBatch(db, now - lifetime, CLEANUP_BATCH_ROWS, marker).run()).meta
        .changes
      total += deleted
      if (deleted < CLEANUP_BATCH_ROWS) break
    }
  }
  return total
}

/**
 * RFC 7591 §3: under the `initial-access-token` policy, the request's Bearer token must be the
 * configured one (digests compared in constant time); 401 invalid_token otherwise (RFC 6750 §3.1).
 */
export async function checkInitialAccessToken(config: Config, presented: string | null): Promise<void> {
  const expected = config.clientRegistration.initialAccessToken
  if (config.clientRegistration.policy !== 'initial-access-token' || expected === null) return
  if (presented === null) {
    throw new OAuthError('invalid_request', 'An initial access token is required to register a client.', {
      status: 401,
      headers: { 'WWW-Authenticate': REGISTRATION_CHALLENGE },
    })
  }
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)])
  if (!timingSafeEqualText(a, b)) throw invalidRegistrationToken('The initial access token is not valid.')
}

/** RFC 6750 §3: the challenge of the registration endpoints' Bearer tokens. */
export const REGISTRATION_CHALLENGE = 'Bearer realm="oauth"'

export function invalidRegistrationToken(description: string): OAuthError {
  return new OAuthError('invalid_token', description, {
    status: 401,
    headers: { 'WWW-Authenticate': `${REGISTRATION_CHALLENGE}, error="invalid_token"` },
  })
}
