/**
 * @module
 * The Hono environment every router shares: the Worker's bindings and per-request variables.
 */
import type { AuthContext } from './tokens/auth-context.ts'

export type AppEnv = {
  Bindings: Env
  Variables: {
    /** Set by the auth middleware on /api/* routes. */
    auth: AuthContext
  }
}
