/**
 * @module
 * Device authorization grant, token request (RFC 8628 §3.4, §3.5): the device polls with its
 * device code until the user answered at /o/device/; an approved code yields ONE token response.
 */
import { findUserById } from '../../accounts/users.ts'
import type { Application } from '../../db/schema.ts'
import { DEVICE_CODE_GRANT } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { audienceOf, narrowedAudience } from '../../resource/audiences.ts'
import { type ApprovedDeviceCode, markDeviceCodeRedeemed, pollDeviceCode } from '../../tokens/device-codes.ts'
import { redeemAndIssueTokens } from '../../tokens/issue.ts'
import { idTokenForGrant } from '../oidc/grant-id-token.ts'
import {
  accessTokenIssue,
  type GrantHandler,
  type GrantInput,
  type GrantResult,
  knownResources,
  requireApplicationGrant,
  requireParam,
} from './types.ts'

const invalidGrant = () => new OAuthError('invalid_grant', 'Invalid device code.')

export const deviceCodeGrant: GrantHandler = async (input) => {
  const { store, params } = input
  const application = await input.authenticate()
  const deviceCode = requireParam(params, 'device_code')
  requireApplicationGrant(application, DEVICE_CODE_GRANT)
  // The primary: polling writes (the pace of §3.5), and an approval a moment old must be seen.
  const polled = await pollDeviceCode(store.db, store.format, deviceCode, application.id)
  switch (polled.status) {
    case 'approved':
      return issueDeviceTokens(input, application, polled.grant)
    // §3.5: each answer the device polls through, in RFC 6749 §5.2's form (400).
    case 'pending':
      throw new OAuthError('authorization_pending', 'The user has not yet answered.')
    case 'slow_down':
      throw new OAuthError('slow_down', `Polling too fast: wait ${polled.interval} seconds between requests.`)
    case 'denied':
      throw new OAuthError('access_denied', 'The user denied the request.')
    case 'expired':
      throw new OAuthError('expired_token', 'The device code has expired.')
    default:
      throw invalidGrant()
  }
}

/**
 * Redeems the approved code and issues an access token and a refresh token (the family of this
 * device code) in one D1 batch; a concurrent poll that redeemed it first leaves this one
 * invalid_grant. An id_token too when openid was granted (as for the code flow).
 */
async function issueDeviceTokens(
  input: GrantInput,
  application: Application,
  grant: ApprovedDeviceCode,
): Promise<GrantResult> {
  const { store, config } = input
  if (!grant.isActive) throw invalidGrant()
  // RFC 8707 §2.2: as for a code, the token may be for fewer resources than were approved.
  const known = knownResources(input)
  const audience = narrowedAudience(input.params.resource, audienceOf(grant.audience, known), known)
  // Device grants live in the main database (shard 0: a user code carries no shard), read from
  // its primary; the fences there still refuse a change that raced the poll.
  const main = store.shards.main()
  const outcome = await redeemAndIssueTokens(
    store,
    main,
    {
      userId: grant.userId,
      username: grant.username,
      applicationId: application.id,
      clientId: application.clientId,
      scopes: grant.scopes,
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: config.refreshTokenLifetime,
      authTime: grant.authTime,
      ...(await accessTokenIssue(input, application, audience)),
      refreshAudience: grant.audience,
    },
    markDeviceCodeRedeemed(main.db, grant.id),
    { application, user: { id: grant.userId, sessionGeneration: grant.userGeneration } },
  )
  if (outcome.status !== 'issued') throw invalidGrant()
  const issued = outcome.tokens
  if (grant.authTime === null) return issued
  const user = await findUserById(store.db, grant.userId)
  // Deleting a user deletes their tokens too (cascade), so this one is gone as well.
  if (!user) throw invalidGrant()
  const idToken = await idTokenForGrant(
    { ...input, application },
    {
      user,
      scopes: issued.scopes,
      accessToken: issued.accessToken,
      nonce: null,
      authTime: grant.authTime,
    },
  )
  return idToken ? { ...issued, idToken } : issued
}
