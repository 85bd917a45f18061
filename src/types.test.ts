/**
 * @module
 * The environments' shapes, checked by the type checker (`npx tsc --noEmit`): a handler can
 * read the caller only on a router behind the middleware that sets it.
 */
import type { Context } from 'hono'
import { expectTypeOf, test } from 'vitest'
import type { ApiEnv, SessionEnv } from './auth/env.ts'
import type { AuthContext } from './tokens/auth-context.ts'
import type { AppEnv } from './types.ts'

test('c.var.auth exists only behind authenticate() (ApiEnv) or sessionOwner() (SessionEnv)', () => {
  expectTypeOf<Context<AppEnv>['var']>().not.toHaveProperty('auth')
  expectTypeOf<Context<ApiEnv>['var']['auth']>().toEqualTypeOf<AuthContext>()
  // The management API's caller is always a user: no null to check for.
  expectTypeOf<Context<SessionEnv>['var']['auth']['userId']>().toEqualTypeOf<number>()
})
