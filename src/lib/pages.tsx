/**
 * @module
 * Middleware for the server-rendered pages: security headers that forbid framing
 * (clickjacking), an origin check on every state-changing form (CSRF), a body limit.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../types.ts'
import { ErrorPage } from '../views/error.tsx'
import { htmlSecurityHeaders } from './html-security.ts'

// Forms here are a few fields; anything larger is not ours.
const MAX_FORM_BYTES = 16 * 1024

// CSP (not frameable: a consent page inside another site's frame invites clickjacking),
// nosniff, no Referer: one definition for every page (src/lib/html-security.ts).
export const pageHeaders = htmlSecurityHeaders()

const originCheck = csrf()

/** hono/csrf: a form post must come from this origin (Origin or Sec-Fetch-Site); else an HTML 403. */
export const csrfProtection: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await originCheck(c, next)
  } catch (error) {
    if (!(error instanceof HTTPException) || error.status !== 403) throw error
    return c.html(
      <ErrorPage title="Forbidden" error="csrf_failed" description="The form was not sent from this site." />,
      403,
    )
  }
}

/** The answer to a form body that cannot be parsed (see formParams). */
export function malformedFormPage(c: Context) {
  return c.html(
    <ErrorPage title="Bad request" error="invalid_request" description="The form could not be read." />,
    400,
  )
}

export const formBodyLimit = bodyLimit({
  maxSize: MAX_FORM_BYTES,
  onError: (c) =>
    c.html(<ErrorPage title="Request too large" error="invalid_request" description="The form is too large." />, 413),
})

export const pageMiddleware = [pageHeaders, csrfProtection, formBodyLimit] as const
