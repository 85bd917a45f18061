/**
 * @module
 * A user's OIDC claims per granted scope (OIDC Core §5.4), shared by the id_token and userinfo.
 */
import type { User } from '../../db/schema.ts'

/** The scope that asks for OIDC at all (OIDC Core §3.1.2.1). */
export const OPENID_SCOPE = 'openid'

/** OIDC Core §5.4: the claims each standard scope requests (the subset this server holds). */
export const SCOPE_CLAIMS = {
  profile: ['preferred_username', 'name', 'given_name', 'family_name'],
  email: ['email', 'email_verified'],
} as const

export type ClaimsUser = Pick<User, 'id' | 'username' | 'email' | 'firstName' | 'lastName'>

export type UserClaims = { sub: string } & Record<string, string | boolean>

/**
 * `sub` plus the claims of the granted scopes. OIDC Core §5.3.2: a claim without a value is
 * omitted rather than sent empty. Email addresses are not verified here, so email_verified is false.
 */
export function userClaims(user: ClaimsUser, scopes: readonly string[]): UserClaims {
  const claims: UserClaims = { sub: String(user.id) }
  const set = (name: string, value: string | boolean) => {
    if (value !== '') claims[name] = value
  }
  if (scopes.includes('profile')) {
    set('preferred_username', user.username)
    set('name', `${user.firstName} ${user.lastName}`.trim())
    set('given_name', user.firstName)
    set('family_name', user.lastName)
  }
  if (scopes.includes('email') && user.email !== '') {
    set('email', user.email)
    set('email_verified', false)
  }
  return claims
}
