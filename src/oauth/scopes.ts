/**
 * @module
 * Requested scope → granted scopes (RFC 6749 §3.3).
 */
import type { Config } from '../config.ts'
import type { Application } from '../db/schema.ts'
import { OAuthError } from '../http/oauth.ts'
import { parseScope } from '../lib/scope.ts'

/** The scope a Bearer token needs to call the introspection endpoint (DOT's convention). */
export const INTROSPECTION_SCOPE = 'introspection'

/**
 * OIDC Core §11 / OAuth 2.1 `offline_access`: asks for a refresh token. Grantable like any scope;
 * refresh tokens are issued as in DOT whether or not it was asked for (docs/standards.md).
 */
export const OFFLINE_ACCESS_SCOPE = 'offline_access'

/**
 * The configured default when no scope was requested; invalid_scope for any unknown scope.
 * The introspection scope goes only to designated resource servers (`applications.can_introspect`,
 * staff-set): any other client asking for it, by any grant, gets invalid_scope. A client that
 * registered a `scope` (RFC 7591 §2) obtains only those: the default narrows to them, others are refused.
 */
export function resolveScopes(
  requested: string | undefined,
  config: Config,
  application: Pick<Application, 'canIntrospect' | 'allowedScope'>,
): string[] {
  const registered = application.allowedScope === null ? null : parseScope(application.allowedScope)
  const allowed = (scope: string) =>
    (scope !== INTROSPECTION_SCOPE || application.canIntrospect) && (registered === null || registered.includes(scope))
  if (requested === undefined || requested.trim() === '') return config.defaultScopes.filter(allowed)
  const scopes = parseScope(requested)
  const unknown = scopes.filter((scope) => !Object.hasOwn(config.scopes, scope))
  if (unknown.length > 0) {
    throw new OAuthError('invalid_scope', `Unknown scope: ${unknown.join(' ')}`)
  }
  const refused = scopes.filter((scope) => !allowed(scope))
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `Scope not available to this client: ${refused.join(' ')}`)
  }
  return scopes
}
