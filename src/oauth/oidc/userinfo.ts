/**
 * @module
 * The UserInfo endpoint's domain side (OIDC Core §5.3): a Bearer token's outcome → the
 * user's claims for the granted scopes, or an RFC 6750 §3.1 error.
 */
import { eq } from 'drizzle-orm'
import type { BearerOutcome } from '../../auth/bearer.ts'
import { bearerChallenge } from '../../auth/responses.ts'
import type { Db } from '../../db/client.ts'
import { users } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { OPENID_SCOPE, type UserClaims, userClaims } from './claims.ts'

const invalidToken = (description: string) =>
  new OAuthError('invalid_token', description, {
    status: 401,
    headers: { 'WWW-Authenticate': bearerChallenge('invalid_token') },
  })

export async function userinfoClaims(db: Db, outcome: BearerOutcome): Promise<UserClaims> {
  if (outcome.kind === 'missing') {
    // RFC 6750 §3.1: no credentials → a challenge without an error code.
    throw new OAuthError('invalid_request', 'A Bearer access token is required.', {
      status: 401,
      headers: { 'WWW-Authenticate': bearerChallenge() },
    })
  }
  if (outcome.kind === 'malformed') {
    throw new OAuthError('invalid_request', outcome.detail, {
      headers: { 'WWW-Authenticate': bearerChallenge('invalid_request') },
    })
  }
  if (outcome.kind === 'invalid') throw invalidToken('The access token is invalid or expired.')
  const { auth } = outcome
  if (!auth.scopes.includes(OPENID_SCOPE)) {
    throw new OAuthError('insufficient_scope', 'The access token lacks the openid scope.', {
      status: 403,
      headers: { 'WWW-Authenticate': bearerChallenge('insufficient_scope', OPENID_SCOPE) },
    })
  }
  // A client_credentials token acts for no end-user, so it has no UserInfo.
  if (auth.userId === null) throw invalidToken('The access token does not belong to a user.')
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
  if (!user?.isActive) throw invalidToken('The access token is invalid or expired.')
  return userClaims(user, auth.scopes)
}
