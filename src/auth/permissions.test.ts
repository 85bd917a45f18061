/**
 * Scope guards on a route that needs more than one scope (no route of the API does yet): the
 * 403's challenge names the whole set the route needs.
 */
import { describe, expect, it } from 'vitest'
import { createDrfRouter } from '../http/drf.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import type { ApiEnv } from './env.ts'
import { requireReadWriteScope, requireScopes } from './permissions.ts'
import { API_PROTECTION } from './responses.ts'

function appFor(scopes: string[], guard: ReturnType<typeof requireScopes>) {
  const auth: AuthContext = {
    scheme: 'bearer',
    userId: 1,
    username: 'someone',
    clientId: 'client',
    applicationId: 1,
    scopes,
    expiresAt: null,
  }
  // A DRF router, as the API's: it answers the guards' DrfError.
  const app = createDrfRouter<ApiEnv>(['*'])
  app.use('*', async (c, next) => {
    c.set('auth', auth)
    c.set('protection', API_PROTECTION)
    await next()
  })
  app.all('/thing', guard, (c) => c.text('ok'))
  return app
}

const env = { ISSUER: 'https://auth.example.com' } as unknown as Env

describe('RFC 6750 §3.1 insufficient_scope: scope= lists every scope the request needs', () => {
  it('requireScopes(read, groups) with only read: scope="read groups", not just the missing one', async () => {
    const response = await appFor(['read'], requireScopes('read', 'groups')).request('/thing', {}, env)
    expect(response.status).toBe(403)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="read groups", ' +
        'resource_metadata="https://auth.example.com/.well-known/oauth-protected-resource/api"',
    )
  })

  it('requireReadWriteScope(groups) on POST with read and groups: scope="write groups"', async () => {
    const app = appFor(['read', 'groups'], requireReadWriteScope('groups'))
    const response = await app.request('/thing', { method: 'POST' }, env)
    expect(response.headers.get('WWW-Authenticate')).toContain('scope="write groups"')
  })

  it('a token holding every needed scope passes', async () => {
    const app = appFor(['read', 'groups'], requireScopes('read', 'groups'))
    expect((await app.request('/thing', {}, env)).status).toBe(200)
  })
})
