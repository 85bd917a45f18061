/**
 * @module
 * RP-Initiated Logout 1.0 request validation, independent of sessions: the /o/logout/ view
 * calls `validateLogoutRequest` with the query (GET) or form (POST) parameters, ends the
 * session, then redirects to `redirectTo` or shows its own logged-out page.
 */
import type { JWTPayload } from 'jose'
import type { SigningKeys } from '../../crypto/signing-keys.ts'
import type { Db } from '../../db/client.ts'
import { OAuthError } from '../../http/oauth.ts'
import { postLogoutRedirectUriProblem } from '../application-rules.ts'
import { findApplicationByClientId } from '../applications.ts'
import { verifyIdToken } from './id-token.ts'

export type LogoutRequest = {
  id_token_hint?: string
  client_id?: string
  post_logout_redirect_uri?: string
  state?: string
}

export type ValidatedLogout = {
  /** `sub` of a valid id_token_hint: the view checks it against the session's user. */
  subject: string | null
  /** The client identified by the hint or client_id, if any. */
  clientId: string | null
  /** The registered post_logout_redirect_uri with `state` added, or null for the OP's own page. */
  redirectTo: string | null
}

const invalid = (description: string) => new OAuthError('invalid_request', description)

/** The single audience of an ID Token (or its azp when there are several, OIDC Core §2). */
function audienceOf(payload: JWTPayload): string | null {
  if (typeof payload.aud === 'string') return payload.aud
  if (Array.isArray(payload.aud) && payload.aud.length === 1) return payload.aud[0]
  return typeof payload.azp === 'string' ? payload.azp : null
}

export async function validateLogoutRequest(
  db: Db,
  keys: SigningKeys,
  issuer: string,
  request: LogoutRequest,
): Promise<ValidatedLogout> {
  let hint: JWTPayload | null = null
  if (request.id_token_hint) {
    try {
      // §2: the OP checks it issued the hint; an expired hint is still acceptable.
      hint = await verifyIdToken(request.id_token_hint, keys, { issuer, allowExpired: true })
    } catch {
      throw invalid('id_token_hint is not an ID Token issued by this server.')
    }
  }
  const hintClient = hint ? audienceOf(hint) : null
  // §2: when both are given, client_id must be the hint's audience.
  if (hint && request.client_id && request.client_id !== hintClient) {
    throw invalid('client_id does not match the id_token_hint.')
  }
  const clientId = hintClient ?? request.client_id ?? null
  const subject = typeof hint?.sub === 'string' ? hint.sub : null

  if (!request.post_logout_redirect_uri) return { subject, clientId, redirectTo: null }
  // §3: a redirect is only honoured for a known client that registered that exact URI.
  if (!clientId) throw invalid('post_logout_redirect_uri needs id_token_hint or client_id.')
  const application = await findApplicationByClientId(db, clientId)
  const registered = application?.postLogoutRedirectUris ?? []
  if (!registered.includes(request.post_logout_redirect_uri)) {
    throw invalid('post_logout_redirect_uri is not registered for this client.')
  }
  let redirect: URL
  try {
    redirect = new URL(request.post_logout_redirect_uri)
  } catch {
    throw invalid('post_logout_redirect_uri is not an absolute URI.')
  }
  // Rows registered before the rules were shared (e.g. `javascript:` through the CLI) stay refused.
  if (postLogoutRedirectUriProblem(request.post_logout_redirect_uri)) {
    throw invalid('post_logout_redirect_uri is not an allowed redirect URI.')
  }
  if (request.state) redirect.searchParams.set('state', request.state)
  return { subject, clientId, redirectTo: redirect.toString() }
}
