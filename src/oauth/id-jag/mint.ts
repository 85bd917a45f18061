/**
 * @module
 * The ID-JAG this server issues as an enterprise IdP (draft-ietf-oauth-identity-assertion-authz-
 * grant §3.1, §4.3.4): a JWT typed `oauth-id-jag+jwt`, signed with the newest RS256 key of
 * OIDC_SIGNING_KEYS (the one every relying party can verify: OIDC Discovery §3), carrying
 *
 * - `iss` this server, `sub` the user's OIDC subject (the same as in every id_token here, as §3.1
 *   requires), `aud` the other authorization server, `client_id` the client's id there;
 * - `jti`, `iat`, `exp` (ID_JAG_EXPIRE_SECONDS later), `resource`, `scope` when there is one,
 *   `auth_time` from the id_token it was exchanged for;
 * - for subject resolution there (§3.1: `email` RECOMMENDED): `preferred_username`, and `email` with
 *   `email_verified: false` when the user has one (addresses are not verified here, as in userinfo).
 */
import { SignJWT } from 'jose'
import type { SigningKeys } from '../../crypto/signing-keys.ts'
import type { User } from '../../db/schema.ts'
import { userClaims } from '../oidc/claims.ts'
import { ID_JAG_TYP } from './assertion.ts'

export type IdJagInput = {
  keys: SigningKeys
  /** This server's issuer. */
  issuer: string
  /** The other authorization server's issuer. */
  audience: string
  /** The client's client_id there. */
  clientId: string
  user: Pick<User, 'id' | 'username' | 'email' | 'firstName' | 'lastName'>
  resource: string
  /** Space-separated, or null for none. */
  scope: string | null
  authTime: number | undefined
  issuedAt: number
  lifetime: number
}

/** The signed ID-JAG and its jti (for the audit log, where the other server's record can be matched). */
export async function mintIdJag(input: IdJagInput): Promise<{ idJag: string; jti: string }> {
  const key = input.keys.signer('RS256')
  // parseSigningKeys refuses a key set without an RS256 key: a configuration fault, logged as a 500.
  if (!key) throw new Error('No RS256 key in OIDC_SIGNING_KEYS')
  const identity = userClaims(input.user, ['profile', 'email'])
  const jti = crypto.randomUUID()
  const idJag = await new SignJWT({
    sub: identity.sub,
    client_id: input.clientId,
    resource: input.resource,
    ...(input.scope === null ? {} : { scope: input.scope }),
    ...(input.authTime === undefined ? {} : { auth_time: input.authTime }),
    preferred_username: input.user.username,
    ...(identity.email === undefined ? {} : { email: identity.email, email_verified: identity.email_verified }),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ID_JAG_TYP })
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setJti(jti)
    .setIssuedAt(input.issuedAt)
    .setExpirationTime(input.issuedAt + input.lifetime)
    .sign(key.privateKey)
  return { idJag, jti }
}
