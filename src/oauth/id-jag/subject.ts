/**
 * @module
 * Subject resolution (draft-ietf-oauth-identity-assertion-authz-grant §2.2): which local user an
 * ID-JAG is for, by its identity provider's rule (./trusted-idps.ts): the value of one claim
 * (`email` unless configured otherwise) equals exactly one active user's
 *
 * - e-mail address (`email`), compared exactly as stored; when the claim is `email` and the ID-JAG
 *   says `email_verified: false`, the provider itself does not vouch for it, and it names nobody;
 * - or username (`username`), as a login compares it (NFKC, exact).
 *
 * No user, an inactive one, or several with that address: refused (invalid_grant). Users are
 * never created here.
 */
import { and, eq } from 'drizzle-orm'
import { findUserByUsername } from '../../accounts/users.ts'
import type { Db } from '../../db/client.ts'
import { type TrustedIdentityProvider, type User, users } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'

const MAX_VALUE_LENGTH = 254

function refuse(description: string): never {
  throw new OAuthError('invalid_grant', description)
}

/** The active user the ID-JAG's claims name under `provider`'s rule; invalid_grant when none. */
export async function userForIdJag(
  db: Db,
  provider: Pick<TrustedIdentityProvider, 'userClaim' | 'userField'>,
  claims: Record<string, unknown>,
): Promise<User> {
  const claim = provider.userClaim
  const value = claims[claim]
  if (typeof value !== 'string' || value === '' || value.length > MAX_VALUE_LENGTH) {
    refuse(`The ID-JAG has no ${claim} claim naming the user.`)
  }
  if (provider.userField === 'username') {
    const user = await findUserByUsername(db, value)
    if (!user?.isActive) refuse(`No active user here has the username the ID-JAG’s ${claim} names.`)
    return user
  }
  if (claim === 'email' && claims.email_verified === false) {
    refuse('The identity provider does not vouch for the ID-JAG’s email (email_verified is false).')
  }
  // Two rows at most: one to use, a second to know it is ambiguous.
  const found = await db
    .select()
    .from(users)
    .where(and(eq(users.email, value), eq(users.isActive, true)))
    .limit(2)
  if (found.length === 0) refuse(`No active user here has the e-mail address the ID-JAG’s ${claim} names.`)
  if (found.length > 1) refuse(`Several users here have the e-mail address the ID-JAG’s ${claim} names.`)
  return found[0]
}
