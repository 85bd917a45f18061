/**
 * @module
 * What every grant handler of the token endpoint receives and returns.
 */

import type { CredentialFacts } from '../../accounts/users.ts'
import type { Config } from '../../config.ts'
import type { SigningKeys } from '../../crypto/signing-keys.ts'
import type { Db } from '../../db/client.ts'
import type { Application, ApplicationGrant, User } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import {
  type Audience,
  type Resources,
  receivesJwtAccessToken,
  resources,
  storedAudience,
} from '../../resource/audiences.ts'
import type { IssuedTokens, IssueRequest } from '../../tokens/issue.ts'
import type { TokenStore } from '../../tokens/store.ts'
import { allowsGrant } from '../applications.ts'
import type { KeyFetchContext } from '../client-keys.ts'

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
  /** RFC 8707 §2: sent once per resource, so one value or several. */
  resource?: string | string[]
  /** RFC 7523 §2.1 (jwt-bearer grant): the ID-JAG. */
  assertion?: string
  /** RFC 8693 §2.1 (token exchange). */
  subject_token?: string
  subject_token_type?: string
  requested_token_type?: string
  actor_token?: string
  actor_token_type?: string
  /** RFC 8693 §2.1: may be sent more than once. */
  audience?: string | string[]
}

export type GrantInput = {
  store: TokenStore
  config: Config
  /**
   * Authenticates the client (RFC 6749 §2.3) from `replica`'s row when there is one, the primary
   * deciding a refusal. Every grant calls it before anything else can fail, reading what else it
   * needs from `replica` meanwhile (one round trip for both).
   */
  authenticate: () => Promise<Application>
  /**
   * A D1 session a replica may serve, or null when the grant runs again on the primary because
   * the facts it read from the replica no longer held when it wrote (`StaleFacts`).
   */
  replica: Db | null
  params: TokenParams
  /**
   * RFC 9449 §5: the thumbprint of the key the request's DPoP proof was signed with (checked, and
   * its use recorded when the client authenticated); null without a proof.
   */
  dpopJkt: string | null
  /** OIDC issuer of this request (ISSUER or the origin), for id_tokens. */
  issuer: string
  /** How a jwks_uri (a trusted identity provider's) is fetched for this request: src/oauth/client-keys.ts. */
  keyFetch: Omit<KeyFetchContext, 'now'>
  /** Imported on first call (cached per isolate); only grants that issue id_tokens need them. */
  signingKeys: () => Promise<SigningKeys>
  /**
   * The active user with this username and password, or null: src/accounts/login.ts `logIn`
   * with the brute-force limits; throws slow_down (429) over them, before checking the password.
   */
  checkPassword: (username: string, password: string, seen?: Promise<CredentialFacts>) => Promise<User | null>
  /**
   * Starts what `checkPassword` will read of the brute-force limits for `username` (a KV read), so
   * that it runs while the client is authenticated instead of after.
   */
  expectLogin: (username: string) => void
}

/**
 * Thrown by a grant whose write found that what it read from the replica no longer holds on the
 * primary (nothing was written): the token endpoint runs the grant again, reading the primary.
 */
export class StaleFacts extends Error {}

/** `replica` when the grant has one, else the primary: where a grant reads what it re-checks when writing. */
export function factsDb(input: GrantInput): Db {
  return input.replica ?? input.store.db
}

/**
 * What a grant issued; `idToken` when it granted openid (OIDC Core §3.1.3.3, §12.2);
 * `issuedTokenType` when what it issued is not an access token (RFC 8693 §2.2.1: an ID-JAG).
 */
export type GrantResult = IssuedTokens & { idToken?: string; issuedTokenType?: string }

export type GrantHandler = (input: GrantInput) => Promise<GrantResult>

/** The resources (RFC 8707) a token of this request may be for. */
export function knownResources(input: GrantInput): Resources {
  return resources(input.issuer, input.config)
}

/**
 * How the access token of a grant for `audience` is issued: its audience as stored; its DPoP
 * binding (RFC 9449 §5: to the request's proof key, and so a public client's refresh token too);
 * and, for resources that receive them, signed as an RFC 9068 JWT (invalid_target for a mix of
 * those and others).
 */
export async function accessTokenIssue(
  input: GrantInput,
  application: Pick<Application, 'clientType'>,
  audience: Audience,
): Promise<Pick<IssueRequest, 'audience' | 'jkt' | 'refreshJkt' | 'jwt'>> {
  const jwt = receivesJwtAccessToken(audience, input.config)
  return {
    audience: storedAudience(audience, knownResources(input)),
    jkt: input.dpopJkt,
    refreshJkt: application.clientType === 'public' ? input.dpopJkt : null,
    ...(jwt ? { jwt: { keys: await input.signingKeys(), issuer: input.issuer, audience } } : {}),
  }
}

export function requireApplicationGrant(application: Application, grant: ApplicationGrant): void {
  if (!allowsGrant(application, grant)) {
    throw new OAuthError('unauthorized_client', `This client may not use the ${grant} grant.`)
  }
}

export function requireParam(params: TokenParams, name: Exclude<keyof TokenParams, 'resource' | 'audience'>): string {
  const value = params[name]
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `Missing parameter: ${name}.`)
  return value
}
