/**
 * @module
 * Who may use the operator console: a logged-in staff user (Django's `staff_member_required`),
 * by browser session only — a Bearer token or DRF key of any scope is not a session and gets
 * the login redirect like an anonymous visitor. A non-staff session gets a 403 page; nobody
 * without staff status sees console data. Every unsafe request must come from this origin,
 * whatever its Content-Type (hono/csrf alone checks only form types).
 */

import type { Context, MiddlewareHandler } from 'hono'
import { readSession, safeNext } from '../accounts/session.ts'
import { isSameOriginRequest } from '../auth/same-origin.ts'
import { renderPage } from '../http/html.tsx'
import { isSafeMethod, NO_STORE_HEADERS } from '../http/semantics.ts'
import type { StaffEnv } from '../types.ts'
import { ErrorPage } from '../views/error.tsx'

const CONSOLE_HOME = '/admin/'
const LOGIN_PATH = '/accounts/login/'

function refused(c: Context, description: string, error: string) {
  return renderPage(c, <ErrorPage title="Forbidden" error={error} description={description} />, 403, NO_STORE_HEADERS)
}

/** The login page, coming back here afterwards (a GET's own URL; the console's home after a POST). */
function toLogin(c: Context) {
  const url = new URL(c.req.url)
  const here = c.req.method === 'GET' ? url.pathname + url.search : CONSOLE_HOME
  const next = safeNext(here, c.req.url, CONSOLE_HOME)
  return c.body(null, 302, { Location: `${LOGIN_PATH}?${new URLSearchParams({ next })}`, ...NO_STORE_HEADERS })
}

/** The origin check, then the session, then staff status: `c.var.staff` is the staff user. */
export function staffOnly(): MiddlewareHandler<StaffEnv> {
  return async (c, next) => {
    if (!isSafeMethod(c.req.method) && !isSameOriginRequest(c)) {
      return refused(c, 'The form was not sent from this site.', 'csrf_failed')
    }
    const session = await readSession(c)
    if (!session) return toLogin(c)
    // As Django: is_superuser without is_staff does not open the admin.
    if (!session.user.isStaff) {
      return refused(c, 'The operator console is for staff users only.', 'permission_denied')
    }
    c.set('staff', session.user)
    await next()
  }
}
