/**
 * @module
 * PKCE on the authorization request (RFC 7636 §4.3, §4.4.1; RFC 9700 §2.1.1): public clients
 * must send a challenge; `plain` only where PKCE_ALLOW_PLAIN allows it; the challenge's grammar.
 */
import type { Config } from '../../config.ts'
import type { Application } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { PKCE_METHODS, PKCE_VALUE, type PkceMethod } from '../pkce.ts'
import type { AuthorizeParams } from './params.ts'

export type PkceChallenge = { codeChallenge: string; codeChallengeMethod: PkceMethod | '' }

export function checkPkce(params: AuthorizeParams, application: Application, config: Config): PkceChallenge {
  const challenge = params.code_challenge ?? ''
  if (challenge === '') {
    if (params.code_challenge_method) {
      throw new OAuthError('invalid_request', 'code_challenge_method without code_challenge.')
    }
    if (application.clientType === 'public') {
      throw new OAuthError('invalid_request', 'Public clients must send a code_challenge.')
    }
    return { codeChallenge: '', codeChallengeMethod: '' }
  }
  // RFC 7636 §4.3: the method defaults to plain.
  const method = params.code_challenge_method ?? 'plain'
  if (!(PKCE_METHODS as readonly string[]).includes(method)) {
    throw new OAuthError('invalid_request', 'Unsupported code_challenge_method.')
  }
  if (method === 'plain' && !config.pkceAllowPlain) {
    throw new OAuthError('invalid_request', 'code_challenge_method=plain is not allowed; use S256.')
  }
  if (!PKCE_VALUE.test(challenge)) throw new OAuthError('invalid_request', 'Malformed code_challenge.')
  return { codeChallenge: challenge, codeChallengeMethod: method as PkceMethod }
}
