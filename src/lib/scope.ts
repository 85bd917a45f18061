/**
 * @module
 * A scope string (RFC 6749 §3.3: space-delimited scope tokens) as a list, read one way wherever a
 * scope is parsed: requests, stored tokens and the DEFAULT_SCOPES setting.
 */

/** The scope tokens of `scope`, each once, in their first order. */
export function parseScope(scope: string): string[] {
  return [...new Set(scope.split(' ').filter(Boolean))]
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/
