/**
 * @module
 * Pages at the JSON API's own paths (DOT's /o/applications/, /o/authorized-tokens/): a request
 * that prefers text/html (a browser's navigation or form post, src/http/semantics.ts prefersHtml)
 * gets the page; any other passes on to the API's router, mounted after the page's (src/index.ts),
 * which answers it as before. That is DRF's own way: its browsable API is the HTML rendering of
 * the same URLs.
 */
import type { MiddlewareHandler } from 'hono'
import { every } from 'hono/combine'
import { prefersHtml } from '../../http/semantics.ts'
import { html } from './dialect.tsx'
import type { PageEnv } from './session.ts'

/** The page (after what every page passes first, html.guard, and `handlers` in order) for a browser; the API for anyone else. */
export function negotiated(...handlers: MiddlewareHandler<PageEnv>[]): MiddlewareHandler<PageEnv> {
  const page = every(...html.guard, ...handlers)
  return async (c, next) => {
    // Both answers depend on Accept: a cache must not give one for the other.
    c.header('Vary', 'Accept', { append: true })
    if (!prefersHtml(c)) return next()
    await page(c, next)
  }
}
