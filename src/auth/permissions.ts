/**
 * @module
 * Permission guards a route declares in one line (`middleware: [requireUser(), requireScopes('write')]`),
 * after the auth middleware has set `c.var.auth`. DRF `Token` keys are not scoped (DRF semantics):
 * they pass every scope guard.
 */
import type { MiddlewareHandler } from 'hono'
import { isSafeMethod } from '../http/semantics.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import type { ApiEnv } from '../types.ts'
import { insufficientScope, permissionDenied } from './responses.ts'

/** Whether the caller lacks any of `scopes`. */
function lacksScope(auth: AuthContext, scopes: string[]): boolean {
  if (auth.scheme === 'token') return false
  return scopes.some((scope) => !auth.scopes.includes(scope))
}

function guard(scopesFor: (method: string) => string[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const needed = scopesFor(c.req.method)
    if (lacksScope(c.var.auth, needed)) return insufficientScope(c, needed)
    await next()
  }
}

/** DRF's IsAuthenticated: a token acting for no user (client_credentials) is refused with 403. */
export function requireUser(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.var.auth.userId === null) return permissionDenied(c)
    await next()
  }
}

/** DOT's TokenHasScope: every listed scope is required, whatever the method. */
export function requireScopes(...scopes: string[]): MiddlewareHandler<ApiEnv> {
  return guard(() => scopes)
}

/** DOT's TokenHasReadWriteScope: safe methods need `read`, the others `write` (plus any `extra`). */
export function requireReadWriteScope(...extra: string[]): MiddlewareHandler<ApiEnv> {
  return guard((method) => [isSafeMethod(method) ? 'read' : 'write', ...extra])
}
