/**
 * @module
 * The cross-site check for cookie-authenticated JSON APIs: every unsafe request (not GET, HEAD
 * or OPTIONS) must come from this origin, whatever its Content-Type. hono/csrf checks only the
 * types an HTML form can send, which leaves JSON and octet-stream bodies to the browser's CORS
 * preflight alone; this does not rely on it. Accepted: `Sec-Fetch-Site: same-origin`, or an
 * `Origin` equal to the request's. `Sec-Fetch-Site: none` (a user-initiated navigation) is not
 * accepted: navigations are GETs, and no page of this site sends an unsafe request with it.
 * Neither header means no browser vouched for the request, and a cookie-bearing request is a
 * browser's; browsers send Origin on every POST, PATCH and DELETE.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { DrfError } from '../http/drf.ts'
import { isSafeMethod } from '../http/semantics.ts'

/** Whether the request may act with the cookie it carries. */
export function isSameOriginRequest(c: Context): boolean {
  if (isSafeMethod(c.req.method)) return true
  if (c.req.header('Sec-Fetch-Site') === 'same-origin') return true
  return c.req.header('Origin') === new URL(c.req.url).origin
}

/** Django's CsrfViewMiddleware reasons, as DRF's SessionAuthentication words its 403. */
function csrfFailure(c: Context): string {
  const origin = c.req.header('Origin')
  if (origin === undefined) return 'CSRF Failed: Origin checking failed - no Origin.'
  return `CSRF Failed: Origin checking failed - ${origin} does not match any trusted origins.`
}

/** Refuses a cross-site unsafe request with DRF's 403 `{"detail": …}` (for a DRF router). */
export function sameOriginOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (!isSameOriginRequest(c)) throw new DrfError(403, csrfFailure(c))
    await next()
  }
}
