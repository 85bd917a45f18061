/**
 * @module
 * Resource identifiers (RFC 8707 §2: an absolute URI without a fragment) in one normal form, so
 * a configured identifier, a requested one and a stored audience compare as plain strings:
 * lower-case scheme and host, no default port (the WHATWG URL serialiser does both), and no
 * trailing slash on the path (`https://api.example/` and `https://api.example` are one resource).
 */

/** The normal form of a resource identifier, or null when `value` is not an absolute URI without fragment. */
export function normalizeResourceUri(value: string): string | null {
  // §2: "MUST NOT include a fragment component" (an empty one included); no whitespace either.
  if (value.includes('#') || /\s/.test(value) || !URL.canParse(value)) return null
  const url = new URL(value)
  // Credentials in a resource identifier name nothing a token could be for.
  if (url.username !== '' || url.password !== '') return null
  const href = url.href
  const query = href.length - url.search.length
  const path = href.slice(0, query)
  return (path.endsWith('/') ? path.slice(0, -1) : path) + url.search
}

/** A list of resource identifiers as a setting writes them: separated by whitespace or commas. */
export function splitResourceList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean)
}
