/**
 * @module
 * The `Authorization` header (RFC 7235 §2.1: `credentials = auth-scheme [ 1*SP token68 ]`), read
 * one way for every scheme: Bearer for the resource API, UserInfo and introspection, Basic for
 * client authentication, DRF's `Token`.
 */

/** Splits `Authorization: <scheme> <credentials>`; the scheme lower-cased (RFC 7235 §2.1: case-insensitive). */
export function parseAuthorization(header: string | undefined): { scheme: string; credentials: string } | null {
  const value = header?.trim()
  if (!value) return null
  const space = value.search(/\s/)
  return {
    scheme: (space < 0 ? value : value.slice(0, space)).toLowerCase(),
    credentials: space < 0 ? '' : value.slice(space).trim(),
  }
}

/** Whether the header uses `scheme` (given lower-case), whatever its credentials. */
export function usesScheme(header: string | undefined, scheme: string): boolean {
  return parseAuthorization(header)?.scheme === scheme
}

/** The single credential sent with `scheme` (given lower-case), or null: another scheme, none, or several. */
export function schemeCredential(header: string | undefined, scheme: string): string | null {
  const parsed = parseAuthorization(header)
  if (parsed?.scheme !== scheme || parsed.credentials === '' || /\s/.test(parsed.credentials)) return null
  return parsed.credentials
}
