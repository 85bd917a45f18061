/**
 * @module
 * The JWT bearer grant (RFC 7523 §2.1) with an ID-JAG (draft-ietf-oauth-identity-assertion-authz-
 * grant §4.4; MCP enterprise-managed authorization §5): a confidential client allowed the grant
 * presents an ID-JAG a trusted identity provider issued for it (src/oauth/id-jag/assertion.ts) and
 * gets an access token for the user it names (src/oauth/id-jag/subject.ts), without a consent
 * page: the enterprise's IdP decided.
 *
 * - Audience (RFC 8707): the ID-JAG's resources, each one this server issues tokens for
 *   (invalid_target otherwise); a `resource` parameter narrows them (§4.4.1: "MAY be a subset").
 * - Scope: the ID-JAG's `scope`, of which a `scope` parameter may ask for less, never more
 *   (invalid_scope); scopes this server does not offer are left out. An ID-JAG without `scope`
 *   gets what the client asks for by the usual rules (src/oauth/scopes.ts).
 * - No refresh token (§4.4.3: "SHOULD NOT"): a client presents a new ID-JAG instead.
 * - The ID-JAG's jti is used up by the same batch that writes the token, with the audit row:
 *   a replay, even a concurrent one, gets invalid_grant and no token.
 */
import { and } from 'drizzle-orm'
import { auditStatementIf } from '../../accounts/audit.ts'
import { JWT_BEARER_GRANT } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { parseScope } from '../../lib/scope.ts'
import { nowSeconds } from '../../lib/time.ts'
import { type Audience, narrowedAudience, requestedAudience } from '../../resource/audiences.ts'
import { issueTokensIf } from '../../tokens/issue.ts'
import { jtiKey, jtiStillUnused, jtiWasUsed, recordJtiUseIf } from '../../tokens/replay.ts'
import { verifyIdJag } from '../id-jag/assertion.ts'
import { userForIdJag } from '../id-jag/subject.ts'
import { idpStillTrusted } from '../id-jag/trusted-idps.ts'
import { resolveScopes } from '../scopes.ts'
import {
  accessTokenIssue,
  factsDb,
  type GrantHandler,
  type GrantInput,
  knownResources,
  requireApplicationGrant,
  requireParam,
  StaleFacts,
} from './types.ts'

/** The scopes granted: within the ID-JAG's, as the client asks. */
function grantedScopes(input: GrantInput, jagScope: string | null, application: Parameters<typeof resolveScopes>[2]) {
  const { scope } = input.params
  const asked = scope !== undefined && scope.trim() !== ''
  if (jagScope === null) return resolveScopes(scope, input.config, application)
  const delegated = parseScope(jagScope)
  if (asked) {
    const beyond = parseScope(scope).filter((name) => !delegated.includes(name))
    if (beyond.length > 0) throw new OAuthError('invalid_scope', `Scope beyond the ID-JAG’s: ${beyond.join(' ')}`)
    return resolveScopes(scope, input.config, application)
  }
  // The provider may delegate scopes this server does not offer: those are not granted (§4.4.1).
  const offered = delegated.filter((name) => Object.hasOwn(input.config.scopes, name))
  if (offered.length === 0) throw new OAuthError('invalid_scope', 'None of the ID-JAG’s scopes is offered here.')
  return resolveScopes(offered.join(' '), input.config, application)
}

export const jwtBearerGrant: GrantHandler = async (input) => {
  const { store, config, params } = input
  const application = await input.authenticate()
  // §8.1: "This specification SHOULD only be supported for confidential clients."
  if (application.clientType !== 'confidential') {
    throw new OAuthError('unauthorized_client', 'Only confidential clients may present ID-JAGs.')
  }
  requireApplicationGrant(application, JWT_BEARER_GRANT)
  const assertion = requireParam(params, 'assertion')
  const now = nowSeconds()
  const facts = factsDb(input)
  const jag = await verifyIdJag(assertion, {
    issuer: input.issuer,
    clientId: application.clientId,
    db: facts,
    keys: input.keyFetch,
    now,
  })
  const known = knownResources(input)
  // The ID-JAG's resources are a grant's audience: each must be known here (RFC 8707 §2).
  const granted: Audience = requestedAudience(jag.resources, known)
  const audience = narrowedAudience(params.resource, granted, known)
  const scopes = grantedScopes(input, jag.scope, application)
  const jti = await jtiKey({ purpose: 'id_jag', issuer: jag.provider.issuer, jti: jag.jti, expiresAt: jag.exp })
  if (await jtiWasUsed(facts, jti, now)) {
    throw new OAuthError('invalid_grant', 'This ID-JAG was already used (its jti).')
  }
  const user = await userForIdJag(facts, jag.provider, jag.payload)
  const issued = await issueTokensIf(
    store,
    {
      userId: user.id,
      username: user.username,
      applicationId: application.id,
      clientId: application.clientId,
      scopes,
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: null,
      ...(await accessTokenIssue(input, application, audience)),
    },
    { application, user },
    // The jti's record and the audit row are the main database's: this grant's token is written there.
    {
      also: and(idpStillTrusted(jag.provider), jtiStillUnused(jti, now)),
      alongside: ({ written, accessTokenId }) => [
        recordJtiUseIf(store.db, jti, written, now),
        auditStatementIf(
          store.db,
          { id: user.id, username: user.username },
          {
            action: 'id_jag.redeem',
            objectType: 'token',
            objectId: accessTokenId,
            objectRepr: `${application.clientId} for ${user.username}`,
            message: `Access token for ${user.username} issued to client ${application.clientId} on an ID-JAG from ${jag.provider.issuer} (sub ${jag.sub}, jti ${jag.jti}), for ${audience.join(' ')}, scope ${scopes.join(' ') || '(none)'}.`,
          },
          written,
        ),
      ],
    },
  )
  if (!issued) throw new StaleFacts()
  return issued
}
