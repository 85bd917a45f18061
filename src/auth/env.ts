/**
 * @module
 * The environments of routers behind an authentication middleware, whose handlers alone see
 * the caller (`c.var.auth`): a route outside them has no `auth` to read.
 */
import type { AuthContext } from '../tokens/auth-context.ts'
import type { AppEnv } from '../types.ts'
import type { Protection } from './responses.ts'

/**
 * /api/* and /mcp: behind `authenticate()` (./authenticate.ts), a token or API key's caller,
 * and what the route protects (for the permission guards' refusals).
 */
export type ApiEnv = AppEnv & { Variables: { auth: AuthContext; protection: Protection } }

/** The caller behind a browser session: always a user. */
type SessionAuth = AuthContext & { scheme: 'session'; userId: number; username: string }

/** The management API: behind `sessionOwner()` (./owner.ts), the logged-in user. */
export type SessionEnv = AppEnv & { Variables: { auth: SessionAuth } }
