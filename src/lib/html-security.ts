/**
 * @module
 * Security for HTML pages (login, consent, error pages): `htmlSecurityHeaders()` is the
 * middleware every page router uses (built on hono/secure-headers), and `sessionCookie()`
 * names and flags the login-session cookie.
 */
import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import type { CookieOptions } from 'hono/utils/cookie'
import { isLoopbackHost } from './loopback.ts'

// hono/secure-headers does not export the type of its CSP option.
type ContentSecurityPolicy = NonNullable<NonNullable<Parameters<typeof secureHeaders>[0]>['contentSecurityPolicy']>

/**
 * CSP without inline script or framing (clickjacking on the consent page), no MIME sniffing,
 * no Referer (authorization URLs carry state and codes), no cross-origin form posts.
 * `csp` replaces single directives for a page that needs more (/docs runs its own scripts).
 */
export function htmlSecurityHeaders(csp: ContentSecurityPolicy = {}): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      // The pages' one stylesheet is served from this origin (src/web/kit/stylesheet.ts); no script runs at all.
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      // No form-action: browsers apply it to the redirect that follows a form post too, and the
      // consent form's answer is a 302 to the client's redirect_uri on another origin.
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      ...csp,
    },
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'no-referrer',
    crossOriginOpenerPolicy: 'same-origin',
  })
}

/**
 * The name and options of a session cookie for a request to `url`. Over HTTPS (production)
 * the name takes the `__Host-` prefix, which browsers accept only with Secure, Path=/ and
 * no Domain (RFC 6265bis §4.1.3.2), so no subdomain can set or overwrite it. Plain-HTTP
 * localhost (wrangler dev) is the one exception: browsers drop Secure cookies there.
 */
export function sessionCookie(baseName: string, url: string): { name: string; options: CookieOptions } {
  const { protocol, hostname } = new URL(url)
  const secure = protocol === 'https:' || !isLoopbackHost(hostname)
  const options: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Lax', secure }
  return { name: secure ? `__Host-${baseName}` : baseName, options }
}
