/**
 * @module
 * Requested scope → granted scopes (RFC 6749 §3.3).
 */
import type { Config } from '../config.ts'
import { OAuthError } from './errors.ts'

export function parseScope(scope: string): string[] {
  return [...new Set(scope.split(' ').filter(Boolean))]
}

/** The configured default when no scope was requested; invalid_scope for any unknown scope. */
export function resolveScopes(requested: string | undefined, config: Config): string[] {
  if (requested === undefined || requested.trim() === '') return config.defaultScopes
  const scopes = parseScope(requested)
  const unknown = scopes.filter((scope) => !Object.hasOwn(config.scopes, scope))
  if (unknown.length > 0) {
    throw new OAuthError('invalid_scope', `Unknown scope: ${unknown.join(' ')}`)
  }
  return scopes
}
