/**
 * @module
 * The redirect_uri (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3): an exact string match against one the
 * client registered, nothing looser. Until it passes, no error is redirected anywhere.
 */
import type { Application } from '../../db/schema.ts'
import { isAllowedRedirectUri } from '../application-rules.ts'
import type { AuthorizeInput } from './params.ts'
import { UntrustedRequest } from './request.ts'

export function checkRedirectUri(application: Application, { params, repeated }: AuthorizeInput): string {
  const redirectUri = params.redirect_uri
  if (
    !redirectUri ||
    repeated.includes('redirect_uri') ||
    !application.redirectUris.includes(redirectUri) ||
    !isAllowedRedirectUri(redirectUri)
  ) {
    throw new UntrustedRequest('invalid_redirect_uri', 'Missing or unregistered redirect_uri.')
  }
  return redirectUri
}
