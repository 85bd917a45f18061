/**
 * @module
 * DRF's 405 for a known path called with a method it does not define:
 * `{"detail": "Method \"GET\" not allowed."}` with an `Allow` header (RFC 9110 §15.5.6).
 */
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../types.ts'

/** Call after every route of `router` is registered: it answers the methods they leave out. */
export function answerOtherMethods(router: OpenAPIHono<AppEnv>): void {
  const allowed = new Map<string, Set<string>>()
  for (const definition of router.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue
    const path = definition.route.path.replaceAll(/\{(.+?)\}/g, ':$1')
    const methods = allowed.get(path) ?? new Set<string>()
    methods.add(definition.route.method.toUpperCase())
    // Hono answers HEAD with the GET handler.
    if (definition.route.method === 'get') methods.add('HEAD')
    allowed.set(path, methods)
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].join(', ')
    router.all(path, (c) => c.json({ detail: `Method "${c.req.method}" not allowed.` }, 405, { Allow: allow }))
  }
}
