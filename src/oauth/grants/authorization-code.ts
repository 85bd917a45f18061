/**
 * @module
 * Authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636).
 */
import type { Config } from '../../config.ts'
import type { Application } from '../../db/schema.ts'
import { type IssuedTokens, redeemAndIssueTokens, revokeFamily, type TokenStore } from '../../tokens/store.ts'
import { codeFamily, findAuthorizationCode, markCodeRedeemed, type StoredGrant } from '../authorization-codes.ts'
import { OAuthError } from '../errors.ts'
import { verifyCodeVerifier } from '../pkce.ts'
import { parseScope } from '../scopes.ts'
import { type GrantHandler, requireApplicationGrant, requireParam } from './types.ts'

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description)

export const authorizationCodeGrant: GrantHandler = async ({ store, config, application, params }) => {
  const code = requireParam(params, 'code')
  requireApplicationGrant(application, 'authorization-code')
  const found = await findAuthorizationCode(store.db, code)
  // §4.1.2: a code used twice is refused and everything issued from it revoked.
  if (found.status === 'reused') await revokeFamily(store, codeFamily(found.grant.id))
  if (found.status !== 'live') throw invalidGrant('Invalid authorization code.')
  const { grant } = found
  // §4.1.3: the code was issued to this client, for this redirect_uri.
  if (grant.applicationId !== application.id) throw invalidGrant('Invalid authorization code.')
  if (params.redirect_uri !== grant.redirectUri)
    throw invalidGrant('redirect_uri does not match the authorization request.')
  await checkCodeVerifier(grant, params.code_verifier)
  if (!grant.isActive) throw invalidGrant('Invalid authorization code.')

  const issued = await issueCodeTokens(store, config, application, grant)
  if (!issued) {
    // A concurrent request redeemed the code first: this is a second redemption.
    await revokeFamily(store, codeFamily(grant.id))
    throw invalidGrant('Invalid authorization code.')
  }
  return issued
}

/** RFC 7636 §4.6, and RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade. */
async function checkCodeVerifier(grant: StoredGrant, verifier: string | undefined): Promise<void> {
  if (grant.codeChallenge === '') {
    if (verifier !== undefined) throw invalidGrant('No code_challenge was sent with this code.')
    return
  }
  if (verifier === undefined) throw invalidGrant('Missing code_verifier.')
  if (!(await verifyCodeVerifier(verifier, grant.codeChallenge, grant.codeChallengeMethod))) {
    throw invalidGrant('Invalid code_verifier.')
  }
}

/**
 * Redeems a code and issues what it yields — an access token and the first refresh token of
 * the code's family — in one transaction; null when a concurrent request redeemed it first.
 */
export function issueCodeTokens(
  store: TokenStore,
  config: Config,
  application: Application,
  grant: StoredGrant,
): Promise<IssuedTokens | null> {
  return redeemAndIssueTokens(
    store,
    {
      userId: grant.userId,
      username: grant.username,
      applicationId: application.id,
      clientId: application.clientId,
      scopes: parseScope(grant.scope),
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: config.refreshTokenLifetime,
      familyId: codeFamily(grant.id),
    },
    markCodeRedeemed(store.db, grant),
  )
}
