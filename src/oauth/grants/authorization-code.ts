/**
 * @module
 * Authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636).
 */
import { findUserById } from '../../accounts/users.ts'
import { parseScope } from '../../lib/scope.ts'
import { redeemAndIssueTokens, revokeFamily } from '../../tokens/store.ts'
import { codeFamily, findAuthorizationCode, markCodeRedeemed, type StoredCode } from '../authorization-codes.ts'
import { OAuthError } from '../errors.ts'
import { idTokenForGrant } from '../oidc/grant-id-token.ts'
import { verifyCodeVerifier } from '../pkce.ts'
import { type GrantHandler, type GrantInput, type GrantResult, requireApplicationGrant, requireParam } from './types.ts'

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description)

export const authorizationCodeGrant: GrantHandler = async (input) => {
  const { store, application, params } = input
  const code = requireParam(params, 'code')
  requireApplicationGrant(application, 'authorization-code')
  const found = await findAuthorizationCode(store.db, store.format, code)
  // §4.1.2: a code used twice is refused and everything issued from it revoked.
  if (found.status === 'reused') await revokeFamily(store, codeFamily(found.grant.id))
  if (found.status !== 'live') throw invalidGrant('Invalid authorization code.')
  const { grant } = found
  const problem = await redemptionProblem(grant, application.id, params)
  if (problem) {
    // RFC 9700 §4.5 / RFC 7636 §4.6: a failed redemption spends the code, so a stolen code
    // cannot be tried again with another verifier, redirect_uri or client.
    await markCodeRedeemed(store.db, grant)
    throw invalidGrant(problem)
  }

  const issued = await issueCodeTokens(input, grant)
  if (!issued) {
    // A concurrent request redeemed the code first: this is a second redemption.
    await revokeFamily(store, codeFamily(grant.id))
    throw invalidGrant('Invalid authorization code.')
  }
  return issued
}

/** Why this redemption of a live code fails, or null when it may proceed. */
async function redemptionProblem(
  grant: StoredCode,
  applicationId: number,
  params: GrantInput['params'],
): Promise<string | null> {
  // §4.1.3: the code was issued to this client, for this redirect_uri.
  if (grant.applicationId !== applicationId) return 'Invalid authorization code.'
  if (params.redirect_uri !== grant.redirectUri) return 'redirect_uri does not match the authorization request.'
  const verifier = params.code_verifier
  // RFC 7636 §4.6, and RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade.
  if (grant.codeChallenge === '') {
    if (verifier !== undefined) return 'No code_challenge was sent with this code.'
  } else {
    if (verifier === undefined) return 'Missing code_verifier.'
    if (!(await verifyCodeVerifier(verifier, grant.codeChallenge, grant.codeChallengeMethod))) {
      return 'Invalid code_verifier.'
    }
  }
  if (!grant.isActive) return 'Invalid authorization code.'
  return null
}

/**
 * Redeems a code and issues what it yields — an access token and the first refresh token of
 * the code's family — in one transaction, plus an id_token when openid was granted (OIDC Core
 * §3.1.3.3) with the authorization request's nonce and the login time carried through the code.
 * Null when a concurrent request redeemed the code first.
 */
async function issueCodeTokens(input: GrantInput, grant: StoredCode): Promise<GrantResult | null> {
  const { store, config, application } = input
  // Codes minted before auth_time was recorded fall back to their issue time.
  const authTime = grant.authTime ?? Math.floor(grant.createdAt.getTime() / 1000)
  const issued = await redeemAndIssueTokens(
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
      authTime,
    },
    markCodeRedeemed(store.db, grant),
  )
  if (!issued) return null
  const user = await findUserById(store.db, grant.userId)
  // Deleting a user deletes their tokens too (cascade), so this one is gone as well.
  if (!user) throw invalidGrant('Invalid authorization code.')
  const idToken = await idTokenForGrant(input, {
    user,
    scopes: issued.scopes,
    accessToken: issued.accessToken,
    nonce: grant.nonce === '' ? null : grant.nonce,
    authTime,
  })
  return idToken ? { ...issued, idToken } : issued
}
