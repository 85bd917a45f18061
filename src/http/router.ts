/**
 * @module
 * Routers that own their error format. A dialect (./oauth.ts, ./drf.ts, ./html.tsx) says how
 * each kind of failure is answered; `createRouter` installs it on a new router: the zod
 * validation hook, the middleware every route of the dialect passes first (the body limit),
 * and `onError`, which Hono applies to the router's own routes and middleware once it is
 * mounted (`app.route`). `answerOtherMethods` adds the 405s once the routes are registered,
 * `answerNotFound` the 404s of a router that owns a whole path prefix.
 * Nothing here looks at the URL: the router a request reached decides the dialect.
 */
import { type Hook, OpenAPIHono } from '@hono/zod-openapi'
import { DrizzleQueryError } from 'drizzle-orm/errors'
import type { Context, ErrorHandler, Hono, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../types.ts'

/** Pages render asynchronously (hono/jsx), hence the promise. */
type Answer = Response | Promise<Response>

/** A dialect answers from the request alone, so it serves routers of every environment (ApiEnv, SessionEnv, …). */
export type Dialect = {
  // biome-ignore lint/suspicious/noExplicitAny: the hook serves every route of every router
  validationHook: Hook<any, any, any, any>
  /** Run before every route of the router, on the paths it names: the body limit (413), page headers. */
  guard: MiddlewareHandler<AppEnv>[]
  /** A thrown 4xx HTTPException (malformed JSON, unsupported media type, …). */
  clientError: (c: Context, error: HTTPException) => Answer
  /** 503 with Retry-After: storage is down, the request may be retried. */
  unavailable: (c: Context, retryAfterSeconds: number) => Answer
  /** 500: a bug. Nothing about it is shown. */
  internalError: (c: Context) => Answer
  /** 404: no route of the router matches the path. */
  notFound: (c: Context) => Answer
  /** 405 with `Allow` (RFC 9110 §15.5.6). */
  methodNotAllowed: (c: Context, allow: string) => Answer
  /** Errors this dialect answers itself (the OAuth dialect's OAuthError), else undefined. */
  ownError?: (c: Context, error: Error) => Answer | undefined
}

// D1's own fault messages ("D1_ERROR: …", "D1 DB is overloaded…") and the runtime's for a
// dropped storage connection; drizzle wraps any failed query in DrizzleQueryError.
const STORAGE_FAULT = /^D1_|D1 DB|Network connection lost|storage operation exceeded/i
const STORAGE_RETRY_AFTER_SECONDS = 5

function isStorageFault(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof DrizzleQueryError || STORAGE_FAULT.test(current.message)) return true
  }
  return false
}

/** Every thrown error → an answer in the dialect; only 4xx messages reach the client, never a stack trace. */
function dialectErrorHandler(dialect: Dialect): ErrorHandler {
  return (error, c) => {
    const own = dialect.ownError?.(c, error)
    if (own) return own
    if (error instanceof HTTPException && error.status < 500) return dialect.clientError(c, error)
    if (isStorageFault(error)) {
      console.error('storage fault', error)
      return dialect.unavailable(c, STORAGE_RETRY_AFTER_SECONDS)
    }
    console.error('unhandled error', error)
    return dialect.internalError(c)
  }
}

/**
 * A router answering in `dialect`. `paths` are the router's own path patterns, which get the
 * dialect's guard: routers mounted at `/` share the app's path space, so a guard on `*` would
 * run for every other router's requests too.
 */
export function createRouter<E extends AppEnv = AppEnv>(dialect: Dialect, paths: readonly string[]): OpenAPIHono<E> {
  const router = new OpenAPIHono<E>({ defaultHook: dialect.validationHook })
  for (const path of paths) router.use(path, ...dialect.guard)
  router.onError(dialectErrorHandler(dialect))
  return router
}

/** Call after every route of `router` is registered: it answers the methods they leave out with the dialect's 405. */
export function answerOtherMethods<E extends AppEnv>(router: Hono<E>, dialect: Dialect): void {
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
    router.all(path, (c) => dialect.methodNotAllowed(c, allow))
  }
}

/**
 * Call last: a request under `paths` (the router's own) that no route matched gets the
 * dialect's 404 instead of reaching the app's notFound.
 */
export function answerNotFound<E extends AppEnv>(router: Hono<E>, dialect: Dialect, paths: readonly string[]): void {
  for (const path of paths) router.all(path, (c) => dialect.notFound(c))
}

/** The value a zod issue is about, for messages that tell missing from invalid from repeated. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (current, key) =>
      current && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined,
    data,
  )
}
