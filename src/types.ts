/**
 * @module
 * The Hono environments: `AppEnv`, what every router shares (the Worker's bindings and the
 * request's D1 session), and the environments of routers behind an authentication middleware,
 * whose handlers alone see the caller (`c.var.auth`): a route outside them has no `auth` to read.
 */
import type { Session } from './accounts/session.ts'
import type { Protection } from './auth/responses.ts'
import type { ReadSession } from './db/client.ts'
import type { AuthContext } from './tokens/auth-context.ts'

export type AppEnv = {
  Bindings: Env
  Variables: {
    /** The request's D1 session, once something read through it (src/lib/request-context.ts). */
    d1Session?: ReadSession
    /** The browser session readSession found (null: none), for the page header's nav. */
    session?: Session | null
  }
}

/**
 * /api/* and /mcp: behind `authenticate()` (src/auth/authenticate.ts), a token or API key's
 * caller, and what the route protects (for the permission guards' refusals).
 */
export type ApiEnv = AppEnv & { Variables: { auth: AuthContext; protection: Protection } }

/** The caller behind a browser session: always a user. */
type SessionAuth = AuthContext & { scheme: 'session'; userId: number; username: string }

/** The management API: behind `sessionOwner()` (src/auth/owner.ts), the logged-in user. */
export type SessionEnv = AppEnv & { Variables: { auth: SessionAuth } }
