/**
 * @module
 * RFC 6749 §3.1: no parameter but `resource` may be sent twice; values are bounded
 * (MAX_PARAM_LENGTH). An over-long or repeated state is never echoed back.
 */
import { OAuthError } from '../../http/oauth.ts'
import type { AuthorizeInput } from './params.ts'

/** The state to echo in error and success responses. */
export function echoedState({ params, repeated, tooLong }: AuthorizeInput): string | undefined {
  return repeated.includes('state') || tooLong.includes('state') ? undefined : params.state
}

export function checkParams({ repeated, tooLong }: AuthorizeInput): void {
  if (repeated.length > 0) throw new OAuthError('invalid_request', `Repeated parameter: ${repeated.join(', ')}.`)
  if (tooLong.length > 0) throw new OAuthError('invalid_request', `Parameter too long: ${tooLong.join(', ')}.`)
}
