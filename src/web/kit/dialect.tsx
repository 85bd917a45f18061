/**
 * @module
 * The HTML dialect, for the server-rendered pages (/accounts/*, /o/authorize/, /o/logout/, the
 * docs): every error is an error page with a way back (src/views/error.tsx). Also what every
 * page passes first: security headers that forbid framing (clickjacking) and a body limit;
 * `csrfProtection` (an origin check on state-changing forms) for the routers whose forms need it.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { siteName } from '../config.ts'
import { htmlSecurityHeaders } from '../lib/html-security.ts'
import type { AppEnv } from '../types.ts'
import { ErrorPage } from '../views/error.tsx'
import { type Site, SiteContext } from '../views/layout.tsx'
import { createRouter, type Dialect } from './router.ts'
import { NO_STORE_HEADERS } from './semantics.ts'

// Forms here are a few fields; anything larger is not ours.
const MAX_FORM_BYTES = 16 * 1024

/**
 * `c.html` for every page: provides the header's site name (SITE_NAME) and the logged-in user
 * (whatever session the handler read with readSession; none read: shown as logged out) to
 * the page's Layout (src/views/layout.tsx).
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

function errorPage(
  c: Context,
  status: ContentfulStatusCode,
  page: { title: string; error: string; description: string },
  headers?: Record<string, string>,
): Response | Promise<Response> {
  return renderPage(c, <ErrorPage {...page} />, status, headers)
}

// CSP (not frameable: a consent page inside another site's frame invites clickjacking),
// nosniff, no Referer: one definition for every page (src/lib/html-security.ts).
const pageHeaders = htmlSecurityHeaders()

const originCheck = csrf()

/** hono/csrf: a form post must come from this origin (Origin or Sec-Fetch-Site); else an HTML 403. */
export const csrfProtection: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await originCheck(c, next)
  } catch (error) {
    if (!(error instanceof HTTPException) || error.status !== 403) throw error
    return errorPage(c, 403, {
      title: 'Forbidden',
      error: 'csrf_failed',
      description: 'The form was not sent from this site.',
    })
  }
}

/** The answer to a form body that cannot be parsed (see formParams). */
export function malformedFormPage(c: Context) {
  return errorPage(c, 400, {
    title: 'Bad request',
    error: 'invalid_request',
    description: 'The form could not be read.',
  })
}

const formBodyLimit = bodyLimit({
  maxSize: MAX_FORM_BYTES,
  onError: (c) =>
    errorPage(c, 413, { title: 'Request too large', error: 'invalid_request', description: 'The form is too large.' }),
})

export const html: Dialect = {
  validationHook: (result, c) => {
    if (result.success) return
    return errorPage(c, 400, {
      title: 'Bad request',
      error: 'invalid_request',
      description: 'The request could not be read.',
    })
  },
  guard: [pageHeaders, formBodyLimit],
  clientError: (c, error) =>
    errorPage(c, error.status as ContentfulStatusCode, {
      title: 'Bad request',
      error: 'invalid_request',
      description: error.message,
    }),
  unavailable: (c, retryAfter) =>
    errorPage(
      c,
      503,
      {
        title: 'Unavailable',
        error: 'temporarily_unavailable',
        description: 'The service is unavailable; try again later.',
      },
      { ...NO_STORE_HEADERS, 'Retry-After': String(retryAfter) },
    ),
  internalError: (c) =>
    errorPage(c, 500, {
      title: 'Server error',
      error: 'server_error',
      description: 'Something went wrong on our side.',
    }),
  notFound: (c) => errorPage(c, 404, { title: 'Not found', error: 'not_found', description: 'There is no such page.' }),
  methodNotAllowed: (c, allow) =>
    errorPage(
      c,
      405,
      { title: 'Method not allowed', error: 'method_not_allowed', description: `This page accepts ${allow} only.` },
      { Allow: allow },
    ),
}

/** A router answering in the HTML dialect; `paths`: its own path patterns (see createRouter). */
export function createHtmlRouter<E extends AppEnv = AppEnv>(paths: readonly string[]) {
  return createRouter<E>(html, paths)
}
