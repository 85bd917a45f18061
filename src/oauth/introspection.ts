/**
 * @module
 * Token introspection (RFC 7662): who may ask, and what D1 says about a token. Answers come
 * from D1, not the KV cache, so a revocation is reflected at once everywhere.
 */
import type { Db } from '../db/client.ts'
import { schemeCredential } from '../http/authorization.ts'
import { CLIENT_CHALLENGE, OAuthError } from '../http/oauth.ts'
import { audienceOf, type Resources } from '../resource/audiences.ts'
import { findLiveAccessToken, lookupAccessToken } from '../tokens/access-tokens.ts'
import type { JwtAccessTokenVerification } from '../tokens/jwt-access-tokens.ts'
import type { TokenStore } from '../tokens/store.ts'
import { findApplicationById } from './applications.ts'
import {
  authenticateClient,
  type ClientAuthContext,
  type ClientAuthenticationParams,
  readClientCredentials,
} from './client-auth.ts'
import { INTROSPECTION_SCOPE } from './scopes.ts'

export type Introspection =
  | {
      active: true
      scope: string
      client_id: string
      username?: string
      /** RFC 9449 §6.2: DPoP for a token bound to a key. */
      token_type: 'Bearer' | 'DPoP'
      exp: number
      iat: number
      sub?: string
      /** RFC 7662 §2.2 / RFC 8707: the resources the token is for; one as a string, several as a list (as JWT's aud). */
      aud?: string | string[]
      /** RFC 9449 §6.2 / RFC 7800: the DPoP key's thumbprint a token is bound to. */
      cnf?: { jkt: string }
    }
  | { active: false }

/**
 * Who asks. A designated resource server (`applications.can_introspect`, staff-set) may learn
 * about any token, or, tied to its own resource (`applications.resource`), about any token for
 * that resource; any other confidential client only about its own tokens.
 */
export type IntrospectionCaller =
  | { kind: 'resource-server'; resource: string | null }
  | { kind: 'client'; clientId: string }

// RFC 7662 §2.3: a caller that fails authentication gets 401, challenged with both schemes it may use.
const INTROSPECTION_CHALLENGE = `${CLIENT_CHALLENGE}, Bearer realm="oauth"`
const unauthorized = () =>
  new OAuthError('invalid_client', 'Authentication required to introspect tokens.', {
    status: 401,
    headers: { 'WWW-Authenticate': INTROSPECTION_CHALLENGE },
  })

/**
 * RFC 7662 §2.1: the caller is a confidential client (Basic, body credentials or a client
 * assertion), or a Bearer
 * token with the `introspection` scope issued to a designated resource server. Throws a 401
 * OAuthError for failed authentication (429 past the client authentication limits),
 * 403 insufficient_scope for a Bearer token without that right.
 */
export async function authenticateIntrospectionCaller(
  store: TokenStore,
  replica: Db,
  context: ClientAuthContext,
  authorization: string | undefined,
  body: ClientAuthenticationParams,
): Promise<IntrospectionCaller> {
  const bearer = schemeCredential(authorization, 'bearer')
  if (bearer !== null) {
    const caller = await lookupAccessToken(store, bearer)
    // RFC 9449 §7.2: a DPoP-bound token is no bearer token.
    if (!caller || caller.jkt !== undefined) throw unauthorized()
    // Tokens issued before applications were designated may carry the scope: the flag decides.
    const application =
      caller.applicationId === null ? undefined : await findApplicationById(store.db, caller.applicationId)
    if (!caller.scopes.includes(INTROSPECTION_SCOPE) || !application?.canIntrospect) {
      throw new OAuthError('insufficient_scope', 'This token may not introspect tokens.', {
        status: 403,
        headers: {
          'WWW-Authenticate': `Bearer realm="oauth", error="insufficient_scope", scope="${INTROSPECTION_SCOPE}"`,
        },
      })
    }
    return { kind: 'resource-server', resource: application.resource }
  }
  if (authorization === undefined && body.client_id === undefined && body.client_assertion === undefined) {
    throw unauthorized()
  }
  try {
    const credentials = readClientCredentials(authorization, body)
    // Public clients prove nothing with a client_id alone.
    if (credentials.method === 'none') throw unauthorized()
    const application = await authenticateClient(store.db, credentials, context, replica)
    return application.canIntrospect
      ? { kind: 'resource-server', resource: application.resource }
      : { kind: 'client', clientId: application.clientId }
  } catch (error) {
    throw error instanceof OAuthError && error.status === 401 ? unauthorized() : error
  }
}

/**
 * RFC 7662 §2.2: what is known about a live access token (`aud`: its audience under `known`;
 * `cnf.jkt` and token_type DPoP for one bound to a DPoP key, RFC 9449 §6.2; an RFC 9068 JWT access
 * token answers for its row, with `jwt`); `{active: false}` for anything else,
 * for another client's token when the caller is not a resource server (§2.2 allows it; §4
 * advises it against token scanning: a caller learns nothing it could not learn from its own tokens),
 * and for a token minted for another audience when the caller is a resource server tied to its
 * resource (§4: the answer may depend on the caller; RFC 8707: such a token is not for it).
 */
export async function introspectToken(
  store: TokenStore,
  token: string,
  authenticating: Promise<IntrospectionCaller>,
  known: Resources | null,
  jwt?: JwtAccessTokenVerification | null,
): Promise<Introspection> {
  // Read from the primaries while the caller is authenticated (nothing is answered before that).
  const reading = findLiveAccessToken(store, token, jwt)
  const [caller, row] = await Promise.all([authenticating, reading])
  if (!row) return { active: false }
  if (caller.kind === 'client' && row.clientId !== caller.clientId) return { active: false }
  // The default audience spelled out; unknown only without an issuer (ISSUER unset on a public host).
  const audience = known === null ? null : audienceOf(row.audience, known)
  // Without a known audience (no issuer), a tied resource server cannot be shown the token is for it.
  if (caller.kind === 'resource-server' && caller.resource !== null && !audience?.includes(caller.resource)) {
    return { active: false }
  }
  return {
    active: true,
    scope: row.scope,
    client_id: row.clientId,
    ...(row.username === null ? {} : { username: row.username }),
    token_type: row.jkt === null ? 'Bearer' : 'DPoP',
    exp: row.expiresAt,
    iat: Math.floor(row.createdAt.getTime() / 1000),
    ...(row.userId === null ? {} : { sub: String(row.userId) }),
    ...(audience === null ? {} : { aud: audience.length === 1 ? audience[0] : [...audience] }),
    ...(row.jkt === null ? {} : { cnf: { jkt: row.jkt } }),
  }
}
