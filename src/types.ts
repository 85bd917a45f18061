/**
 * @module
 * The Hono environment every router shares: the Worker's bindings and per-request variables.
 */
import type { ReadSession } from './db/client.ts'
import type { AuthContext } from './tokens/auth-context.ts'

export type AppEnv = {
  Bindings: Env
  Variables: {
    /** Set by the auth middleware on /api/* routes. */
    auth: AuthContext
    /** The request's D1 session, once something read through it (src/lib/request-context.ts). */
    d1Session?: ReadSession
  }
}
