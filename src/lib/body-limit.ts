/**
 * @module
 * Request body limits: a body over the limit is refused with 413 before anything parses
 * it, in the error shape of the area (RFC 6749 §5.2 on /o/*, DRF's `detail` on /api/*).
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { NO_STORE_HEADERS } from '../oauth/errors.ts'

// Far above any legitimate OAuth form or API payload here; bounds the memory and CPU a request can cost.
export const MAX_BODY_BYTES = 64 * 1024

const MESSAGE = `Request body too large (limit ${MAX_BODY_BYTES} bytes).`

export function oauthBodyLimit(): MiddlewareHandler {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: 'invalid_request', error_description: MESSAGE }, 413, NO_STORE_HEADERS),
  })
}

export function apiBodyLimit(): MiddlewareHandler {
  return bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ detail: MESSAGE }, 413) })
}
