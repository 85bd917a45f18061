/**
 * @module
 * 405 for a known path called with a method it does not define, with an `Allow` header
 * (RFC 9110 §15.5.6). One mechanism for every router; each passes the body of its dialect.
 */
import type { Context, Hono } from 'hono'
import type { AppEnv } from '../types.ts'

/** Builds the 405 response of a dialect; `allow` is the `Allow` header's value. */
export type MethodNotAllowed = (c: Context<AppEnv>, allow: string) => Response

/** DRF's `{"detail": "Method \"GET\" not allowed."}`. */
export const drfMethodNotAllowed: MethodNotAllowed = (c, allow) =>
  c.json({ detail: `Method "${c.req.method}" not allowed.` }, 405, { Allow: allow })

/** Call after every route of `router` is registered: it answers the methods they leave out. */
export function answerOtherMethods(router: Hono<AppEnv>, respond: MethodNotAllowed = drfMethodNotAllowed): void {
  const allowed = new Map<string, Set<string>>()
  // Hono's own route list: it has the routes hidden from the OpenAPI document too.
  for (const route of router.routes) {
    // Middleware (`use`) is registered as ALL.
    if (route.method === 'ALL') continue
    const methods = allowed.get(route.path) ?? new Set<string>()
    methods.add(route.method)
    // Hono answers HEAD with the GET handler.
    if (route.method === 'GET') methods.add('HEAD')
    allowed.set(route.path, methods)
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].join(', ')
    router.all(path, (c) => respond(c, allow))
  }
}
