/**
 * @module
 * HTTP semantics every dialect and router shares: the safe methods (RFC 9110 §9.2.1, DRF's
 * SAFE_METHODS), a request's media type and the headers of a response no cache may store.
 */
import type { Context } from 'hono'
import { accepts } from 'hono/accepts'

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

/**
 * Whether the request asks for a page rather than JSON (RFC 9110 §12.5.1 proactive negotiation):
 * its Accept ranks text/html above application/json, as a browser's navigation does. `*\/*`, no
 * Accept or a tie listing JSON first get JSON (DRF's JSONRenderer comes first too).
 */
export function prefersHtml(c: Context): boolean {
  return (
    accepts(c, { header: 'Accept', supports: ['application/json', 'text/html'], default: 'application/json' }) ===
    'text/html'
  )
}
