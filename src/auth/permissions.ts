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

/** The first of `scopes` the caller lacks, or undefined. */
function missingScope(auth: AuthContext, scopes: string[]): string | undefined {
  if (auth.scheme === 'token') return undefined
  return scopes.find((scope) => !auth.scopes.includes(scope))
}

function guard(scopesFor: (method: string) => string[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const missing = missingScope(c.var.auth, scopesFor(c.req.method))
    if (missing !== undefined) return insufficientScope(c, missing)
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
