/**
 * @module
 * The authorization response (RFC 6749 §4.1.2, RFC 9207 §2) and the consent decision (RFC 8252
 * §8.6, DOT's APPROVAL_PROMPT=auto). The request's checks are in ./authorization/.
 */
import { isLoopbackHost } from '../lib/loopback.ts'
import { audienceCovers, audienceOf, storedAudience } from '../resource/audiences.ts'
import { hasLiveGrant } from '../tokens/lists.ts'
import type { TokenStore } from '../tokens/store.ts'
import type { AuthorizationResponse, AuthorizeRequest } from './authorization/request.ts'

/**
 * The response's parameters added to the client's redirect_uri, keeping its own query.
 * RFC 9207 §2: every response, error or not, carries the issuer, so a client talking to
 * several servers can tell which one answered (the mix-up defense of RFC 9700 §4.4).
 */
export function authorizationResponseUrl(redirectUri: string, params: AuthorizationResponse, issuer: string): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries({ ...params, iss: issuer })) {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  return url.toString()
}

/** The audience to store with the request's code: null for the default. */
export function codeAudience(request: AuthorizeRequest): string | null {
  return storedAudience(request.audience, request.known)
}

/**
 * Whether the consent page may be skipped. RFC 8252 §8.6: a public client's client_id proves
 * nothing, so any app on the machine can send its request and listen on its loopback port;
 * without proof of the client's identity no request is approved automatically. So for public
 * clients earlier approvals never count, and a staff-set skip_authorization counts only for
 * a claimed https redirect_uri (which only the real client receives), not for a loopback one.
 */
export async function maySkipConsent(
  store: TokenStore,
  replica: boolean,
  request: AuthorizeRequest,
  userId: number,
): Promise<boolean> {
  const { application } = request
  if (application.clientType === 'public') {
    return application.skipAuthorization && !isLoopbackHost(new URL(request.redirectUri).hostname)
  }
  // DOT's APPROVAL_PROMPT = 'auto': an earlier grant that covers every requested scope.
  const coversAudience = (stored: string | null) => audienceCovers(audienceOf(stored, request.known), request.audience)
  return (
    application.skipAuthorization ||
    (await hasLiveGrant(store, replica, userId, application.id, request.scopes, coversAudience))
  )
}
