/**
 * @module
 * DOT's management pages for the logged-in user, at DOT's paths (HTML dialect):
 *   /o/applications/                      list            (GET, negotiated)
 *   /o/applications/register/             register form   (GET, POST)
 *   /o/applications/<id>/                 detail          (GET, negotiated; the new secret once)
 *   /o/applications/<id>/update/          edit form       (GET, POST)
 *   /o/applications/<id>/delete/          confirm, delete (GET, POST)
 *   /o/applications/<id>/rotate-secret/   confirm, rotate (GET; POST negotiated)
 *   /o/authorized-tokens/                 authorized apps (GET, negotiated)
 *   /o/authorized-tokens/<id>/delete/     confirm, revoke (GET, POST)
 *
 * The management JSON API (./management.ts, DRF dialect) has kept its paths: a "negotiated" route
 * is shared with it, and serves the page only to a request that prefers text/html (a browser's
 * navigation or form post; semantics.ts prefersHtml). Any other request passes on to the API
 * router, mounted after this one (src/index.ts), which answers it as before. That is DRF's own
 * way: its browsable API is the HTML rendering of the same URLs.
 *
 * Logged out: a redirect to the login page, back here after. Every unsafe request must come from
 * this origin, whatever its Content-Type (src/auth/same-origin.ts): HTML 403 otherwise.
 */
import type { MiddlewareHandler } from 'hono'
import { every } from 'hono/combine'
import { readSession, safeNext } from '../accounts/session.ts'
import { isSameOriginRequest } from '../auth/same-origin.ts'
import { createHtmlRouter, html, renderPage } from '../http/html.tsx'
import { answerOtherMethods } from '../http/router.ts'
import { NO_STORE_HEADERS, prefersHtml } from '../http/semantics.ts'
import { ErrorPage } from '../views/error.tsx'
import { SITE_PATHS } from '../views/layout.tsx'
import type { UserPageEnv } from './management-pages.handlers.tsx'
import * as handlers from './management-pages.handlers.tsx'

// Paths only pages use: every request to them is the HTML router's.
const PAGE_PATHS = [
  '/o/applications/register/',
  '/o/applications/:id/update/',
  '/o/applications/:id/delete/',
  '/o/authorized-tokens/:id/delete/',
] as const

export const managementPagesRouter = createHtmlRouter(PAGE_PATHS)

/** A cross-site form (or any unsafe request not from this origin) changes nothing. */
const sameOriginPages: MiddlewareHandler<UserPageEnv> = async (c, next) => {
  if (isSameOriginRequest(c)) return next()
  return renderPage(
    c,
    <ErrorPage title="Forbidden" error="csrf_failed" description="The form was not sent from this site." />,
    403,
  )
}

/** The logged-in user → `c.var.user`; else the login page, which sends the browser back here. */
const loginRequired: MiddlewareHandler<UserPageEnv> = async (c, next) => {
  const session = await readSession(c)
  if (!session) {
    const url = new URL(c.req.url)
    const next = safeNext(url.pathname + url.search, c.req.url, SITE_PATHS.home)
    return c.body(null, 302, {
      Location: `${SITE_PATHS.login}?${new URLSearchParams({ next })}`,
      ...NO_STORE_HEADERS,
    })
  }
  c.set('user', session.user)
  await next()
}

for (const path of PAGE_PATHS) managementPagesRouter.use(path, sameOriginPages, loginRequired)
managementPagesRouter.get('/o/applications/register/', handlers.registerForm)
managementPagesRouter.post('/o/applications/register/', handlers.register)
managementPagesRouter.get('/o/applications/:id/update/', handlers.updateForm)
managementPagesRouter.post('/o/applications/:id/update/', handlers.update)
managementPagesRouter.get('/o/applications/:id/delete/', handlers.deleteForm)
managementPagesRouter.post('/o/applications/:id/delete/', handlers.deleteApplication)
managementPagesRouter.get('/o/authorized-tokens/:id/delete/', handlers.revokeTokenForm)
managementPagesRouter.post('/o/authorized-tokens/:id/delete/', handlers.revokeToken)
// Before the shared routes below: their 405s must not answer for the JSON API.
answerOtherMethods(managementPagesRouter, html)

/**
 * A route shared with the JSON API: the page, with what every page passes first (html.guard:
 * headers, body limit), for a request that prefers HTML; the API router for any other.
 */
function negotiated(handler: MiddlewareHandler<UserPageEnv>): MiddlewareHandler<UserPageEnv> {
  const page = every(...html.guard, sameOriginPages, loginRequired, handler)
  return async (c, next) => {
    // Both answers depend on Accept: a cache must not give one for the other.
    c.header('Vary', 'Accept', { append: true })
    if (!prefersHtml(c)) return next()
    await page(c, next)
  }
}

managementPagesRouter.get('/o/applications/', negotiated(handlers.listApplications))
managementPagesRouter.get('/o/applications/:id/', negotiated(handlers.applicationDetail))
managementPagesRouter.get('/o/applications/:id/rotate-secret/', negotiated(handlers.rotateSecretForm))
managementPagesRouter.post('/o/applications/:id/rotate-secret/', negotiated(handlers.rotateSecret))
managementPagesRouter.get('/o/authorized-tokens/', negotiated(handlers.listTokens))
// A page asked for under these paths that no route above serves: the HTML 404, not the API's.
for (const path of ['/o/applications/*', '/o/authorized-tokens/*']) {
  managementPagesRouter.get(
    path,
    negotiated(async (c) => html.notFound(c)),
  )
}
