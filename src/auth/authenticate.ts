/**
 * @module
 * Authentication middleware for the resource API: `Authorization: Bearer <token>` →
 * `c.var.auth`, or DRF's 401/400 with an RFC 6750 challenge.
 */
import type { MiddlewareHandler } from 'hono'
import { tokenStore } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { authenticateBearer } from './bearer.ts'
import { invalidToken, malformedBearer, notAuthenticated } from './responses.ts'

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const outcome = await authenticateBearer(tokenStore(c), c.req.header('Authorization'))
    // DRF: a scheme no authenticator claims means no credentials were given.
    if (outcome.kind === 'missing') return notAuthenticated(c)
    if (outcome.kind === 'malformed') return malformedBearer(c, outcome.detail)
    if (outcome.kind === 'invalid') return invalidToken(c)
    c.set('auth', outcome.auth)
    await next()
  }
}
