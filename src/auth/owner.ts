/**
 * @module
 * Authentication for the management API: the browser session, or a Bearer token of the
 * user. A token needs `read` to look and `write` to change (DRF's TokenHasReadWriteScope);
 * a client_credentials token belongs to no user and is refused. Only cookie-authenticated
 * requests can be forged cross-site, so only they go through hono/csrf's origin check.
 */
import type { MiddlewareHandler } from 'hono'
import { csrf } from 'hono/csrf'
import { readSession } from '../accounts/session.ts'
import type { AppEnv } from '../types.ts'
import { authenticate } from './authenticate.ts'
import { bearerChallenge, MESSAGES } from './responses.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function sessionOrBearer(): MiddlewareHandler<AppEnv> {
  const bearer = authenticate()
  const originCheck = csrf()
  const requireUserScope: MiddlewareHandler<AppEnv> = async (c, next) => {
    const auth = c.var.auth
    const scope = SAFE_METHODS.has(c.req.method) ? 'read' : 'write'
    if (auth.userId === null || !auth.scopes.includes(scope)) {
      return c.json({ detail: MESSAGES.permissionDenied }, 403, {
        'WWW-Authenticate': bearerChallenge('insufficient_scope', scope),
      })
    }
    await next()
  }
  return async (c, next) => {
    const session = await readSession(c)
    if (session) {
      c.set('auth', {
        scheme: 'session',
        userId: session.user.id,
        username: session.user.username,
        clientId: null,
        applicationId: null,
        scopes: [],
        expiresAt: null,
      })
      return originCheck(c, next)
    }
    return bearer(c, async () => {
      const refused = await requireUserScope(c, next)
      if (refused) c.res = refused
    })
  }
}
