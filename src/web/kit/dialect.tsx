/**
 * @module
 * The HTML dialect, for the server-rendered pages (src/web/): every error is an error page with
 * a way back (./error-page.tsx). Also what every page passes first: security headers that forbid
 * framing (clickjacking) and a body limit. The origin check and the session are ./session.ts's.
 */
import { bodyLimit } from 'hono/body-limit'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { createRouter, type Dialect } from '../../http/router.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import { htmlSecurityHeaders } from '../../lib/html-security.ts'
import type { AppEnv } from '../../types.ts'
import { errorPage, notFound } from './page.tsx'

// Forms here are a few fields; anything larger is not ours.
const MAX_FORM_BYTES = 16 * 1024

// CSP (not frameable: a consent page inside another site's frame invites clickjacking),
// nosniff, no Referer: one definition for every page (src/lib/html-security.ts).
const pageHeaders = htmlSecurityHeaders()

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
  notFound,
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
