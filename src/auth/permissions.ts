/**
 * @module
 * Permission guards a route declares in one line (`middleware: [requireUser(), requireScopes('write')]`),
 * after the auth middleware has set `c.var.auth`. DRF `Token` keys are not scoped (DRF semantics):
 * they pass every scope guard.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { isSafeMethod } from '../http/semantics.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import type { ApiEnv } from './env.ts'
import { insufficientScope, permissionDenied } from './responses.ts'

/** Whether the caller lacks any of `scopes`. */
function lacksScope(auth: AuthContext, scopes: string[]): boolean {
  if (auth.scheme === 'token') return false
  return scopes.some((scope) => !auth.scopes.includes(scope))
}

/**
 * DOT's TokenHasScope for one request: the 403 insufficient_scope refusing it when the caller
 * lacks any of `scopes`, else undefined. For routes whose needs depend on the request's content
 * (the MCP endpoint's methods); others declare a guard below.
 */
export function scopeRefusal(c: Context<ApiEnv>, scopes: string[]): Response | undefined {
  return lacksScope(c.var.auth, scopes) ? insufficientScope(c, c.var.protection, scopes) : undefined
}

function guard(scopesFor: (method: string) => string[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const refused = scopeRefusal(c, scopesFor(c.req.method))
    if (refused) return refused
    await next()
  }
}

/**
 * DRF's IsAuthenticated for one request: the 403 refusing a token that acts for no user
 * (client_credentials), else undefined. For the MCP endpoint's tools; routes declare `requireUser()`.
 */
export function userRefusal(c: Context<ApiEnv>): Response | undefined {
  return c.var.auth.userId === null ? permissionDenied(c, c.var.protection) : undefined
}

/** DRF's IsAuthenticated: a token acting for no user (client_credentials) is refused with 403. */
export function requireUser(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const refused = userRefusal(c)
    if (refused) return refused
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
