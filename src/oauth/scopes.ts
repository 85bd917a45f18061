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
 * registered a `scope` (RFC 7591 §2, whose semantics are the server's to say) gets those when it
 * asks for none; asking, it may have any other scope offered here, on the user's consent (a
 * registered client never skips it). MCP clients register with the scope of their first challenge
 * and later ask for more (step-up, SEP-2350): a registration that capped them would break that.
 */
export function resolveScopes(
  requested: string | undefined,
  config: Config,
  application: Pick<Application, 'canIntrospect' | 'registeredScope'>,
): string[] {
  const allowed = (scope: string) => scope !== INTROSPECTION_SCOPE || application.canIntrospect
  if (requested === undefined || requested.trim() === '') {
    const registered = application.registeredScope === null ? null : parseScope(application.registeredScope)
    // Registered scopes a later SCOPES no longer offers are dropped, as unknown ones would be refused.
    if (registered !== null) return registered.filter((scope) => Object.hasOwn(config.scopes, scope) && allowed(scope))
    return config.defaultScopes.filter(allowed)
  }
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
