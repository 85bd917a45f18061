/**
 * @module
 * What every grant handler of the token endpoint receives and returns.
 */
import type { Config } from '../../config.ts'
import type { Application } from '../../db/schema.ts'
import type { IssuedTokens, TokenStore } from '../../tokens/store.ts'
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
}

export type GrantInput = {
  store: TokenStore
  config: Config
  application: Application
  params: TokenParams
  /** Counts a password attempt for `username` against the brute-force limits; throws slow_down (429) over them. */
  limitLogin: (username: string) => Promise<void>
}

export type GrantHandler = (input: GrantInput) => Promise<IssuedTokens>

/** DOT's authorization_grant_type names, as stored on an application. */
export type ApplicationGrant = 'password' | 'client-credentials' | 'authorization-code'

export function requireApplicationGrant(application: Application, grant: ApplicationGrant): void {
  if (!application.grantTypes.split(' ').includes(grant)) {
    throw new OAuthError('unauthorized_client', `This client may not use the ${grant} grant.`)
  }
}

export function requireParam(params: TokenParams, name: keyof TokenParams): string {
  const value = params[name]
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `Missing parameter: ${name}.`)
  return value
}
