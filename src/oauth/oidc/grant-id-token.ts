/**
 * @module
 * The entry point token grants call to add an id_token to their response: the
 * authorization_code grant (OIDC Core §3.1.3.3) and the refresh_token grant (§12.2).
 */
import type { Application } from '../../db/schema.ts'
import type { GrantInput } from '../grants/types.ts'
import { type ClaimsUser, OPENID_SCOPE } from './claims.ts'
import { createIdToken } from './id-token.ts'

export type GrantIdTokenDetails = {
  user: ClaimsUser
  /** The scopes of the access token just issued. */
  scopes: readonly string[]
  accessToken: string
  /**
   * The authorization request's nonce, carried through the code. A refresh passes null:
   * §12.2 wants no new nonce on a refreshed id_token.
   */
  nonce: string | null
  /** When the user authenticated; on refresh, the ORIGINAL time (§12.2), not now. */
  authTime: number
}

/** What signs an id_token: the request's keys, issuer and settings, and the authenticated client. */
export type IdTokenContext = Pick<GrantInput, 'signingKeys' | 'issuer' | 'config'> & {
  application: Pick<Application, 'clientId' | 'algorithm'>
}

/** The id_token for this grant, signed with the application's algorithm, or null when openid was not granted. */
export async function idTokenForGrant(input: IdTokenContext, details: GrantIdTokenDetails): Promise<string | null> {
  if (!details.scopes.includes(OPENID_SCOPE)) return null
  return createIdToken({
    keys: await input.signingKeys(),
    issuer: input.issuer,
    clientId: input.application.clientId,
    user: details.user,
    scopes: details.scopes,
    nonce: details.nonce,
    authTime: details.authTime,
    accessToken: details.accessToken,
    algorithm: input.application.algorithm,
    lifetime: input.config.idTokenLifetime,
  })
}
