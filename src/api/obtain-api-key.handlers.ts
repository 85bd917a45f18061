/**
 * @module
 * Thin handlers for `POST /api-token-auth/` (obtain a key) and `DELETE /api-token-auth/` (revoke the key in use).
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { obtainApiKey } from '../accounts/api-keys.ts'
import { throttledMessage } from '../auth/responses.ts'
import { schemeCredential } from '../http/authorization.ts'
import { DrfError } from '../http/drf.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { clientIp, loginGate } from '../lib/rate-limit.ts'
import { tokenStore } from '../lib/request-context.ts'
import { revokePresentedApiKey } from '../tokens/api-keys.ts'
import type { AppEnv } from '../types.ts'
import type { obtainApiKeyRoute, revokeApiKeyRoute } from './obtain-api-key.routes.ts'

export const obtainApiKeyHandler: RouteHandler<typeof obtainApiKeyRoute, AppEnv> = async (c) => {
  const input = { ...c.req.valid('form'), ...c.req.valid('json') }
  const result = await obtainApiKey(tokenStore(c), input, loginGate(c.env, clientIp(c)))
  if (!result.ok && 'retryAfter' in result) {
    throw new DrfError(429, throttledMessage(result.retryAfter), { 'Retry-After': String(result.retryAfter) })
  }
  // A credential in the body: never cached (as RFC 6749 §5.1 asks of token responses).
  if (!result.ok) return c.json(result.errors, 400, NO_STORE_HEADERS)
  return c.json({ token: result.key }, 200, NO_STORE_HEADERS)
}

// authenticate(['token']) let only a valid key through; a concurrent revocation still answers 204.
export const revokeApiKeyHandler: RouteHandler<typeof revokeApiKeyRoute, AppEnv> = async (c) => {
  await revokePresentedApiKey(tokenStore(c), schemeCredential(c.req.header('Authorization'), 'token') ?? '')
  return c.body(null, 204)
}
