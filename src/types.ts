/**
 * @module
 * The Hono environment every router shares, `AppEnv`: the Worker's bindings, the request's D1
 * session and the browser session a page found. The environments of routers behind an
 * authentication middleware, whose handlers alone see the caller, are defined beside it
 * (src/auth/env.ts); the pages' behind requireSession beside it (src/web/kit/session.ts).
 */
import type { ReadSession } from './db/client.ts'
import type { User } from './db/schema.ts'

/** A logged-in browser session (src/accounts/session.ts): its user, still active, and when they logged in. */
export type Session = { user: User; authTime: number }

export type AppEnv = {
  Bindings: Env
  Variables: {
    /** The request's D1 session, once something read through it (src/lib/request-context.ts). */
    d1Session?: ReadSession
    /** The browser session readSession found (null: none), for the page header's nav. */
    session?: Session | null
  }
}
