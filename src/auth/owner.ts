/**
 * @module
 * Authentication for the management API (/o/applications/, /o/authorized-tokens/): the
 * browser session only, as django-oauth-toolkit's login-required views. Tokens issued to
 * clients (OAuth2 Bearer) and DRF `Token` keys are never accepted here, whatever their scope:
 * every approved client holds read/write, and a client must not be able to rotate the
 * user's other secrets, rewrite their redirect URIs or register skip_authorization apps.
 * Every unsafe request is origin-checked (same-origin.ts), whatever its Content-Type.
 *
 * Without a session the answer is DRF's for SessionAuthentication: 403 (SessionAuthentication
 * has no authenticate_header, so DRF turns NotAuthenticated into 403) and no challenge, since
 * there is no HTTP scheme for a cookie to name and a Bearer challenge would invite a token.
 */
import type { MiddlewareHandler } from 'hono'
import { every } from 'hono/combine'
import { readSession } from '../accounts/session.ts'
import { DrfError } from '../http/drf.ts'
import type { SessionEnv } from './env.ts'
import { MESSAGES } from './responses.ts'
import { sameOriginOnly } from './same-origin.ts'

const SESSION_ONLY = 'This API accepts only a browser session; access tokens and Token keys are not accepted here.'

/** The logged-in user → `c.var.auth`, or DRF's 403. */
function sessionUser(): MiddlewareHandler<SessionEnv> {
  return async (c, next) => {
    const session = await readSession(c)
    if (!session) {
      const detail = c.req.header('Authorization') === undefined ? MESSAGES.notProvided : SESSION_ONLY
      throw new DrfError(403, detail)
    }
    c.set('auth', {
      scheme: 'session',
      userId: session.user.id,
      username: session.user.username,
      clientId: null,
      applicationId: null,
      scopes: [],
      expiresAt: null,
    })
    await next()
  }
}

/** The session first (no session: 403 whatever the origin), then the origin check on unsafe methods. */
export function sessionOwner(): MiddlewareHandler<SessionEnv> {
  return every(sessionUser(), sameOriginOnly())
}
