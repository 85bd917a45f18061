/**
 * @module
 * The request body limit of the JSON APIs: a body over it is refused with 413 before anything
 * parses it. Each dialect (src/http/) words the refusal; pages have their own, smaller limit.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

/**
 * Far above any legitimate OAuth form or API payload here; bounds the memory and CPU a request can cost.
 * @internal Exported for tests: they send bodies just over the limit.
 */
export const MAX_BODY_BYTES = 64 * 1024

export const BODY_TOO_LARGE = `Request body too large (limit ${MAX_BODY_BYTES} bytes).`

/** hono/body-limit at MAX_BODY_BYTES, answering with `tooLarge`. */
export function limitBody(tooLarge: (c: Context) => Response): MiddlewareHandler {
  return bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge })
}
