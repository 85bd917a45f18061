/**
 * @module
 * Authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636).
 */
import type { Config } from '../../config.ts'
import type { Application } from '../../db/schema.ts'
import { type IssuedTokens, issueTokens, revokeFamily, type TokenStore } from '../../tokens/store.ts'
import { codeFamily, redeemAuthorizationCode, type StoredGrant } from '../authorization-codes.ts'
import { OAuthError } from '../errors.ts'
import { verifyCodeVerifier } from '../pkce.ts'
import { parseScope } from '../scopes.ts'
import { type GrantHandler, requireApplicationGrant, requireParam } from './types.ts'

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description)

export const authorizationCodeGrant: GrantHandler = async ({ store, config, application, params }) => {
  const code = requireParam(params, 'code')
  requireApplicationGrant(application, 'authorization-code')
  const redeemed = await redeemAuthorizationCode(store.db, code, async (grant) => {
    // §4.1.3: the code was issued to this client, for this redirect_uri.
    if (grant.applicationId !== application.id) throw invalidGrant('Invalid authorization code.')
    if (params.redirect_uri !== grant.redirectUri)
      throw invalidGrant('redirect_uri does not match the authorization request.')
    if (grant.codeChallenge === '') {
      // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade.
      if (params.code_verifier !== undefined) throw invalidGrant('No code_challenge was sent with this code.')
    } else {
      const verifier = params.code_verifier
      if (verifier === undefined) throw invalidGrant('Missing code_verifier.')
      if (!(await verifyCodeVerifier(verifier, grant.codeChallenge, grant.codeChallengeMethod))) {
        throw invalidGrant('Invalid code_verifier.')
      }
    }
    if (!grant.isActive) throw invalidGrant('Invalid authorization code.')
  })
  // §4.1.2: a code used twice is refused and everything issued from it revoked.
  if (redeemed.status === 'reused') await revokeFamily(store, codeFamily(redeemed.grant.id))
  if (redeemed.status !== 'redeemed') throw invalidGrant('Invalid authorization code.')
  return issueCodeTokens(store, config, application, redeemed.grant)
}

/** The tokens one redeemed code yields: an access token and the first refresh token of its family. */
export function issueCodeTokens(
  store: TokenStore,
  config: Config,
  application: Application,
  grant: StoredGrant,
): Promise<IssuedTokens> {
  return issueTokens(store, {
    userId: grant.userId,
    username: grant.username,
    applicationId: application.id,
    clientId: application.clientId,
    scopes: parseScope(grant.scope),
    accessLifetime: config.accessTokenLifetime,
    refreshLifetime: config.refreshTokenLifetime,
    familyId: codeFamily(grant.id),
  })
}
