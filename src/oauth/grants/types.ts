/**
 * @module
 * What every grant handler of the token endpoint receives and returns.
 */
import type { Config } from '../../config.ts'
import type { SigningKeys } from '../../crypto/signing-keys.ts'
import type { Application, ApplicationGrant, User } from '../../db/schema.ts'
import type { IssuedTokens, TokenStore } from '../../tokens/store.ts'
import { allowsGrant } from '../applications.ts'
import { OAuthError } from '../errors.ts'

/** Token endpoint form parameters (RFC 6749 §4); each grant reads the ones it defines. */
export type TokenParams = {
  grant_type: string
  scope?: string
  username?: string
  password?: string
  refresh_token?: string
  code?: string
  redirect_uri?: string
  code_verifier?: string
  /** RFC 8628 §3.4 */
  device_code?: string
}

export type GrantInput = {
  store: TokenStore
  config: Config
  application: Application
  params: TokenParams
  /** OIDC issuer of this request (ISSUER or the origin), for id_tokens. */
  issuer: string
  /** Imported on first call (cached per isolate); only grants that issue id_tokens need them. */
  signingKeys: () => Promise<SigningKeys>
  /**
   * The active user with this username and password, or null: src/accounts/login.ts `logIn`
   * with the brute-force limits; throws slow_down (429) over them, before checking the password.
   */
  checkPassword: (username: string, password: string) => Promise<User | null>
}

/** What a grant issued; `idToken` when it granted openid (OIDC Core §3.1.3.3, §12.2). */
export type GrantResult = IssuedTokens & { idToken?: string }

export type GrantHandler = (input: GrantInput) => Promise<GrantResult>

export function requireApplicationGrant(application: Application, grant: ApplicationGrant): void {
  if (!allowsGrant(application, grant)) {
    throw new OAuthError('unauthorized_client', `This client may not use the ${grant} grant.`)
  }
}

export function requireParam(params: TokenParams, name: keyof TokenParams): string {
  const value = params[name]
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `Missing parameter: ${name}.`)
  return value
}
