/**
 * @module
 * RFC 9126 §5 and §6 require_pushed_authorization_requests: where the server or the client
 * requires it, an authorization request sent in the URL is refused; only a pushed one is served.
 */
import type { Config } from '../../config.ts'
import type { Application } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'

export function checkPushed(application: Application, config: Config, pushed: boolean): void {
  if (pushed) return
  if (config.requirePushedAuthorizationRequests || application.requirePushedAuthorizationRequests) {
    throw new OAuthError(
      'invalid_request',
      'Authorization requests of this client must be pushed to the pushed authorization request endpoint first (RFC 9126).',
    )
  }
}
