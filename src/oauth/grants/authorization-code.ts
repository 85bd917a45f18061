/**
 * @module
 * Authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636).
 */
import { findUserById } from '../../accounts/users.ts'
import type { Application, User } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { parseScope } from '../../lib/scope.ts'
import { type Audience, audienceOf, narrowedAudience } from '../../resource/audiences.ts'
import {
  codeFamily,
  type FoundCode,
  findAuthorizationCode,
  markCodeRedeemed,
  type StoredCode,
} from '../../tokens/authorization-codes.ts'
import { redeemAndIssueTokens } from '../../tokens/issue.ts'
import { revokeFamily } from '../../tokens/refresh-tokens.ts'
import type { TokenDb } from '../../tokens/shards.ts'
import { idTokenForGrant } from '../oidc/grant-id-token.ts'
import { verifyCodeVerifier } from '../pkce.ts'
import {
  accessTokenIssue,
  factsDb,
  type GrantHandler,
  type GrantInput,
  type GrantResult,
  knownResources,
  requireApplicationGrant,
  requireParam,
  StaleFacts,
} from './types.ts'

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description)

/** The code, from its shard, and then its user, from the main database (replicas when the grant has them). */
async function findCodeAndUser(input: GrantInput, code: string): Promise<{ found: FoundCode; user: User | null }> {
  const found = await findAuthorizationCode(input.store, code, input.replica !== null)
  if (found.status !== 'live') return { found, user: null }
  return { found, user: (await findUserById(factsDb(input), found.grant.userId)) ?? null }
}

export const authorizationCodeGrant: GrantHandler = async (input) => {
  const { store, params } = input
  // The code and its user are read from replicas while the client is authenticated.
  const finding = params.code ? findCodeAndUser(input, params.code) : undefined
  // Awaited below, or dropped when the client is refused.
  finding?.catch(() => undefined)
  const application = await input.authenticate()
  requireParam(params, 'code')
  requireApplicationGrant(application, 'authorization-code')
  const { found, user } = (await finding) ?? { found: { status: 'invalid' as const }, user: null }
  // §4.1.2: a code used twice is refused and everything issued from it revoked.
  if (found.status === 'reused') await revokeFamily(store, found.where, codeFamily(found.grant.id))
  if (found.status !== 'live') throw invalidGrant('Invalid authorization code.')
  const { grant, where } = found
  // A replica may not have seen the user reactivated yet (or made): the primary decides that refusal.
  if (!user?.isActive && input.replica) throw new StaleFacts()
  const problem = await redemptionProblem(grant, user, application.id, params)
  if (problem || !user) {
    // RFC 9700 §4.5 / RFC 7636 §4.6: a failed redemption spends the code, so a stolen code
    // cannot be tried again with another verifier, redirect_uri or client.
    await markCodeRedeemed(found)
    throw invalidGrant(problem ?? 'Invalid authorization code.')
  }
  // RFC 8707 §2.2: the token may be for fewer resources than the code, never others.
  const known = knownResources(input)
  const audience = narrowedAudience(params.resource, audienceOf(grant.audience, known), known)

  const issued = await issueCodeTokens(input, application, { grant, where }, user, audience)
  if (!issued) {
    // A concurrent request redeemed the code first: this is a second redemption.
    await revokeFamily(store, where, codeFamily(grant.id))
    throw invalidGrant('Invalid authorization code.')
  }
  return issued
}

/** Why this redemption of a live code fails, or null when it may proceed. */
async function redemptionProblem(
  grant: StoredCode,
  user: User | null,
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
  if (!user?.isActive) return 'Invalid authorization code.'
  return null
}

/**
 * Redeems a code and issues what it yields (the access token for `audience`) — an access token and the first refresh token of
 * the code's family — in one transaction, plus an id_token when openid was granted (OIDC Core
 * §3.1.3.3) with the authorization request's nonce and the login time carried through the code.
 * Null when a concurrent request redeemed the code first.
 */
async function issueCodeTokens(
  input: GrantInput,
  application: Application,
  code: { grant: StoredCode; where: TokenDb },
  user: User,
  audience: Audience,
): Promise<GrantResult | null> {
  const { store, config } = input
  const { grant, where } = code
  // Codes minted before auth_time was recorded fall back to their issue time.
  const authTime = grant.authTime ?? Math.floor(grant.createdAt.getTime() / 1000)
  // Redeemed only while no fence in the code's shard says the client or the user changed since they were read.
  const facts = { application, user }
  const outcome = await redeemAndIssueTokens(
    store,
    where,
    {
      userId: grant.userId,
      username: user.username,
      applicationId: application.id,
      clientId: application.clientId,
      scopes: parseScope(grant.scope),
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: config.refreshTokenLifetime,
      familyId: codeFamily(grant.id),
      authTime,
      ...(await accessTokenIssue(input, application, audience)),
      // The refresh token keeps the whole audience of the code.
      refreshAudience: grant.audience,
    },
    markCodeRedeemed(code, facts),
    facts,
  )
  if (outcome.status === 'stale') throw new StaleFacts()
  if (outcome.status === 'lost') return null
  const issued = outcome.tokens
  const idToken = await idTokenForGrant(
    { ...input, application },
    {
      user,
      scopes: issued.scopes,
      accessToken: issued.accessToken,
      nonce: grant.nonce === '' ? null : grant.nonce,
      authTime,
    },
  )
  return idToken ? { ...issued, idToken } : issued
}
