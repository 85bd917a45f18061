/**
 * @module
 * Token exchange (RFC 8693) for an ID-JAG: this server acting as the enterprise IdP
 * (draft-ietf-oauth-identity-assertion-authz-grant §4.3; MCP enterprise-managed authorization §4).
 * A confidential client signed a user in here (OpenID Connect) and trades that id_token for an
 * ID-JAG (src/oauth/id-jag/mint.ts) another authorization server accepts with the jwt-bearer grant.
 *
 * - `requested_token_type` must be the ID-JAG's and `subject_token_type` the id_token's: nothing
 *   else is exchanged here (invalid_request). `actor_token` is refused (the draft leaves it undefined).
 * - The subject token is an id_token this server issued, unexpired, to the authenticated client
 *   (§4.3.3: its audience "matches the client_id of the client authentication"), for an active user.
 * - One `audience` (that server's issuer) and one `resource`, for which the operator's exchange
 *   policy (src/oauth/id-jag/policies.ts) has a rule for this client: otherwise invalid_target
 *   (RFC 8693 §2.2.2). The rule names the client_id the client has there.
 * - Scope: as asked, within the rule's scope when it has one (§4.3.3: "MAY be a subset"); asked
 *   for nothing, the rule's scope. None left: invalid_scope.
 * - The response (§4.3.4): `issued_token_type` the ID-JAG's, `token_type` N_A, no refresh token.
 *   Each ID-JAG issued is audited.
 */
import { auditStatement } from '../../accounts/audit.ts'
import { findUserById } from '../../accounts/users.ts'
import { OAuthError } from '../../http/oauth.ts'
import { normalizeResourceUri } from '../../lib/resource-uri.ts'
import { parseScope, SCOPE_TOKEN } from '../../lib/scope.ts'
import { nowSeconds } from '../../lib/time.ts'
import { mintIdJag } from '../id-jag/mint.ts'
import { findIdJagPolicy } from '../id-jag/policies.ts'
import { verifyIdToken } from '../oidc/id-token.ts'
import { type GrantHandler, requireParam } from './types.ts'

/** RFC 8693 §2.1's grant_type. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
/** The draft's §9.2 token type: what is asked for and issued. */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag'
/** RFC 8693 §3: the subject token is an OpenID Connect id_token. */
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token'

/** The one value of a parameter that may be repeated; invalid_target when several were sent. */
function single(value: string | string[] | undefined, name: string): string {
  const values = value === undefined ? [] : typeof value === 'string' ? [value] : value
  if (values.length > 1) throw new OAuthError('invalid_target', `Send one ${name} per exchange.`)
  if (values.length === 0 || values[0] === '') throw new OAuthError('invalid_request', `Missing parameter: ${name}.`)
  return values[0]
}

function exchangedScope(asked: string | undefined, ceiling: string | null): string | null {
  const requested = asked === undefined ? [] : parseScope(asked)
  if (!requested.every((scope) => SCOPE_TOKEN.test(scope))) {
    throw new OAuthError('invalid_scope', 'The scope must be scope tokens separated by spaces (RFC 6749 §3.3).')
  }
  if (requested.length === 0) return ceiling
  if (ceiling === null) return requested.join(' ')
  const allowed = parseScope(ceiling)
  const granted = requested.filter((scope) => allowed.includes(scope))
  if (granted.length === 0) throw new OAuthError('invalid_scope', 'None of the scope asked for may be delegated.')
  return granted.join(' ')
}

export const tokenExchangeGrant: GrantHandler = async (input) => {
  const { store, params } = input
  const application = await input.authenticate()
  if (application.clientType !== 'confidential') {
    throw new OAuthError('unauthorized_client', 'Only confidential clients may exchange tokens for ID-JAGs.')
  }
  const requested = requireParam(params, 'requested_token_type')
  if (requested !== ID_JAG_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `Only ${ID_JAG_TOKEN_TYPE} is issued by token exchange here.`)
  }
  const subjectToken = requireParam(params, 'subject_token')
  if (requireParam(params, 'subject_token_type') !== ID_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `The subject_token_type must be ${ID_TOKEN_TYPE}.`)
  }
  if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
    throw new OAuthError('invalid_request', 'actor_token is not supported.')
  }
  const audience = single(params.audience, 'audience')
  const resource = normalizeResourceUri(single(params.resource, 'resource'))
  if (resource === null) throw new OAuthError('invalid_target', 'The resource is not an absolute URI without fragment.')
  // Every read from the primary: an exchange writes nothing it could re-check, so it reads what holds now.
  const db = store.db
  const policy = await findIdJagPolicy(db, application.id, audience, resource)
  if (!policy) {
    throw new OAuthError('invalid_target', 'This client may not obtain ID-JAGs for this audience and resource.')
  }
  const keys = await input.signingKeys()
  let claims: Awaited<ReturnType<typeof verifyIdToken>>
  try {
    claims = await verifyIdToken(subjectToken, keys, { issuer: input.issuer })
  } catch {
    throw new OAuthError('invalid_grant', 'The subject_token is not a valid, unexpired id_token of this server.')
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!aud.includes(application.clientId)) {
    throw new OAuthError('invalid_grant', 'The subject_token was issued to another client.')
  }
  const user = await findUserById(db, Number(claims.sub))
  if (!user?.isActive) throw new OAuthError('invalid_grant', 'The subject_token’s user is not an active user.')
  const scope = exchangedScope(params.scope, policy.scope)
  const issuedAt = nowSeconds()
  const lifetime = input.config.idJagLifetime
  const { idJag, jti } = await mintIdJag({
    keys,
    issuer: input.issuer,
    audience: policy.audience,
    clientId: policy.audienceClientId,
    user,
    resource,
    scope,
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
    issuedAt,
    lifetime,
  })
  await auditStatement(db, user, {
    action: 'id_jag.issue',
    objectType: 'application',
    objectId: application.id,
    objectRepr: application.name,
    message: `ID-JAG for ${user.username} issued to client ${application.clientId} for ${policy.audience} (client_id ${policy.audienceClientId} there), resource ${resource}, scope ${scope ?? '(none)'}, jti ${jti}, valid ${lifetime} s.`,
  })
  return {
    accessToken: idJag,
    refreshToken: null,
    jkt: null,
    expiresIn: lifetime,
    scopes: scope === null ? [] : parseScope(scope),
    issuedTokenType: ID_JAG_TOKEN_TYPE,
  }
}
