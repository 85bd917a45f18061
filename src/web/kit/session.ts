/**
 * @module
 * Who may use a page: the origin check, the one session guard (`requireSession`) and the one
 * way to the login page (`toLogin`, SITE_PATHS.login).
 *
 * - `fromThisSite`: every unsafe request must come from this origin — `Sec-Fetch-Site:
 *   same-origin`, or an `Origin` equal to the request's (hono/csrf's rule, src/auth/same-origin.ts)
 *   — whatever its Content-Type: hono/csrf itself checks only the types an HTML form can send
 *   and leaves a JSON body to the browser's CORS preflight, which a page does not rely on. A
 *   refusal is a 403 page, and changes nothing.
 * - `requireSession`: the origin check, then a browser session (a Bearer token or DRF key of any
 *   scope is not a session: it gets the login page like an anonymous visitor), then, with
 *   `staff`, staff status (Django's `staff_member_required`; is_superuser without is_staff does
 *   not open the console). The user is `c.var.user` (PageEnv).
 */
import type { Context, MiddlewareHandler } from 'hono'
import { readSession, safeNext } from '../../accounts/session.ts'
import { isSameOriginRequest } from '../../auth/same-origin.ts'
import type { User } from '../../db/schema.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import type { AppEnv, Session } from '../../types.ts'
import { forbidden } from './page.tsx'
import { SITE_PATHS } from './paths.ts'

/** A page behind requireSession: the logged-in user, and their session (its login time). */
export type PageEnv = AppEnv & { Variables: { user: User; session: Session } }

const NOT_FROM_THIS_SITE = 'The form was not sent from this site.'
const STAFF_ONLY = 'The operator console is for staff users only.'

/** The 403 page for an unsafe request from another origin; null for any other request. */
function notFromThisSite(c: Context) {
  return isSameOriginRequest(c) ? null : forbidden(c, NOT_FROM_THIS_SITE, 'csrf_failed')
}

/** The origin check alone, for forms that need no session (login, consent, logout confirmation). */
export function fromThisSite(): MiddlewareHandler {
  return async (c, next) => notFromThisSite(c) ?? next()
}

/** This request's path and query: where the login page sends the browser back to. */
export function here(c: Context): string {
  const url = new URL(c.req.url)
  return url.pathname + url.search
}

/**
 * The login page, which sends the browser back to `next` (a path on this site, else the home
 * page) after. `loginHint`: OIDC's login_hint, prefilling the username. 302, or 303 after a POST
 * whose answer must be a GET.
 */
export function toLogin(c: Context, next: string, options: { loginHint?: string; status?: 302 | 303 } = {}) {
  const query = new URLSearchParams({ next: safeNext(next, c.req.url, SITE_PATHS.home) })
  if (options.loginHint) query.set('login_hint', options.loginHint)
  return c.body(null, options.status ?? 302, { Location: `${SITE_PATHS.login}?${query}`, ...NO_STORE_HEADERS })
}

export type SessionOptions = {
  /** Staff users only; a logged-in user without staff status gets a 403 page. */
  staff?: boolean
  /** The answer without a session: by default the login page, back to this URL after. */
  onAnonymous?: (c: Context) => Response | Promise<Response>
}

/** The origin check, the session, then (with `staff`) staff status: `c.var.user` is the user. */
export function requireSession(options: SessionOptions = {}): MiddlewareHandler<PageEnv> {
  const anonymous = options.onAnonymous ?? ((c: Context) => toLogin(c, here(c)))
  return async (c, next) => {
    const refused = notFromThisSite(c)
    if (refused) return refused
    const session = await readSession(c)
    if (!session) return anonymous(c)
    if (options.staff && !session.user.isStaff) return forbidden(c, STAFF_ONLY)
    c.set('user', session.user)
    await next()
  }
}
