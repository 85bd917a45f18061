/**
 * @module
 * HTTP semantics every dialect and router shares: the safe methods (RFC 9110 §9.2.1, DRF's
 * SAFE_METHODS), a request's media type and the headers of a response no cache may store.
 */
import type { Context } from 'hono'

export const FORM_URLENCODED = 'application/x-www-form-urlencoded'

/** The request's media type (RFC 9110 §8.3.1: parameters dropped, case-insensitive), or ''. */
export function mediaType(c: Context): string {
  return (c.req.header('Content-Type') ?? '').split(';')[0].trim().toLowerCase()
}

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const

/** GET, HEAD or OPTIONS: a request that changes nothing. */
export function isSafeMethod(method: string): boolean {
  return (SAFE_METHODS as readonly string[]).includes(method)
}

// RFC 6749 §5.1 / RFC 9111 §5.2.2.5: responses carrying tokens, secrets or errors must not be
// stored; Pragma for HTTP/1.0 caches.
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const
