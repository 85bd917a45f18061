/**
 * @module
 * The UserInfo endpoint's domain side (OIDC Core §5.3): a Bearer token's outcome (or a DPoP
 * token's, RFC 9449 §7) → the user's claims for the granted scopes, or an RFC 6750 §3.1 error
 * challenged in the scheme the token came with.
 */
import { eq } from 'drizzle-orm'
import { BEARER_MESSAGES, type BearerOutcome } from '../../auth/bearer.ts'
import { dpopChallenge } from '../../auth/dpop.ts'
import { bearerChallenge } from '../../auth/responses.ts'
import type { Db } from '../../db/client.ts'
import { users } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { OPENID_SCOPE, type UserClaims, userClaims } from './claims.ts'

/** The challenge of a refusal, in the scheme the token was sent with. */
export type UserinfoChallenge = (
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
  scope?: string,
) => string

const BEARER: UserinfoChallenge = (error, scope) => bearerChallenge(error, scope)

/** RFC 9449 §7.1: refusals of a DPoP token are challenged with DPoP. */
export const DPOP_USERINFO_CHALLENGE: UserinfoChallenge = (error, scope) => dpopChallenge({ error, scope })

const invalidToken = (description: string, challenge: UserinfoChallenge = BEARER) =>
  new OAuthError('invalid_token', description, {
    status: 401,
    headers: { 'WWW-Authenticate': challenge('invalid_token') },
  })

export async function userinfoClaims(
  db: Db,
  outcome: BearerOutcome,
  challenge: UserinfoChallenge = BEARER,
): Promise<UserClaims> {
  if (outcome.kind === 'missing') {
    // RFC 6750 §3.1: no credentials → a challenge without an error code, for each scheme accepted.
    throw new OAuthError('invalid_request', 'A Bearer access token is required.', {
      status: 401,
      headers: { 'WWW-Authenticate': `${bearerChallenge()}, ${dpopChallenge()}` },
    })
  }
  if (outcome.kind === 'malformed') {
    throw new OAuthError('invalid_request', outcome.detail, {
      headers: { 'WWW-Authenticate': bearerChallenge('invalid_request') },
    })
  }
  if (outcome.kind === 'invalid') throw invalidToken('The access token is invalid or expired.')
  // RFC 9449 §7.2: a DPoP-bound token sent as a Bearer token.
  if (outcome.kind === 'bound') throw invalidToken(BEARER_MESSAGES.boundToken, DPOP_USERINFO_CHALLENGE)
  const { auth } = outcome
  if (!auth.scopes.includes(OPENID_SCOPE)) {
    throw new OAuthError('insufficient_scope', 'The access token lacks the openid scope.', {
      status: 403,
      headers: { 'WWW-Authenticate': challenge('insufficient_scope', OPENID_SCOPE) },
    })
  }
  // A client_credentials token acts for no end-user, so it has no UserInfo.
  if (auth.userId === null) throw invalidToken('The access token does not belong to a user.', challenge)
  const user = await db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      firstName: users.firstName,
      lastName: users.lastName,
      isActive: users.isActive,
    })
    .from(users)
    .where(eq(users.id, auth.userId))
    .get()
  if (!user?.isActive) throw invalidToken('The access token is invalid or expired.', challenge)
  return userClaims(user, auth.scopes)
}
