/**
 * @module
 * Rendering a page, and the answers every page handler shares: the error page with a way back
 * (404, 403, a form that cannot be read) and the redirect after a POST (post/redirect/get).
 */
import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { siteName } from '../../config.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import type { AppEnv } from '../../types.ts'
import { ErrorPage } from './error-page.tsx'
import { type Site, SiteContext } from './layout.tsx'

/**
 * `c.html` for every page: provides the header's site name (SITE_NAME) and the logged-in user
 * (whatever session the handler or guard read; none read: shown as logged out) to the page's
 * Layout (./layout.tsx).
 */
export function renderPage<E extends AppEnv>(
  c: Context<E>,
  page: Child,
  status: ContentfulStatusCode = 200,
  headers?: Record<string, string>,
): Response | Promise<Response> {
  const user = c.get('session')?.user
  const site: Site = {
    name: siteName(c.env),
    viewer: user ? { username: user.username, isStaff: user.isStaff } : null,
  }
  return c.html(<SiteContext.Provider value={site}>{page}</SiteContext.Provider>, status, headers)
}

/** A page about one user's own things: no cache keeps it (every page behind a session). */
export function renderPrivatePage<E extends AppEnv>(c: Context<E>, page: Child, status: ContentfulStatusCode = 200) {
  return renderPage(c, page, status, NO_STORE_HEADERS)
}

/** The error page (`error`: a machine-readable code, as OAuth's) with `status`. */
export function errorPage(
  c: Context,
  status: ContentfulStatusCode,
  page: { title: string; error: string; description: string },
  headers?: Record<string, string>,
): Response | Promise<Response> {
  return renderPage(c, <ErrorPage {...page} />, status, headers)
}

/** 404: no such page, or an object the visitor may not know of (another user's application). */
export function notFound(c: Context) {
  return errorPage(c, 404, { title: 'Not found', error: 'not_found', description: 'There is no such page.' })
}

/** 403: what the visitor may not do (src/accounts/rights.ts words most refusals). */
export function forbidden(c: Context, description: string, error = 'permission_denied') {
  return errorPage(c, 403, { title: 'Forbidden', error, description }, NO_STORE_HEADERS)
}

/** 400: a request this page cannot serve as asked (`description` says why), never stored by a cache. */
export function badRequest(c: Context, description: string) {
  return errorPage(c, 400, { title: 'Bad request', error: 'invalid_request', description }, NO_STORE_HEADERS)
}

/** 400: a form body that cannot be read (see formParams). */
export function malformedForm(c: Context) {
  return errorPage(c, 400, {
    title: 'Bad request',
    error: 'invalid_request',
    description: 'The form could not be read.',
  })
}

/** Post/redirect/get: 303 makes the browser GET `path`; `notice`, a code the page turns into words. */
export function seeOther(c: Context, path: string, notice?: string) {
  const location = notice ? `${path}?${new URLSearchParams({ notice })}` : path
  return c.body(null, 303, { Location: location, ...NO_STORE_HEADERS })
}
