/**
 * Round trips on the client's path (issue #17, goal 1), under the Sydney profile of
 * test/counting.ts: 100 ms per round trip to D1's primary, 10 ms to a replica, 30 ms per KV
 * operation. Only what the client waits for counts: work handed to `ctx.waitUntil` is still
 * running when the response is ready and is left out; concurrent round trips count once.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { userStillActive } from '../../src/accounts/users.ts'
import { accessTokens, applications, refreshTokens, users } from '../../src/db/schema.ts'
import worker from '../../src/index.ts'
import { applicationStillAllows } from '../../src/oauth/applications.ts'
import { findAuthorizationCode, markCodeRedeemed } from '../../src/tokens/authorization-codes.ts'
import { issueTokensIf, redeemAndIssueTokens } from '../../src/tokens/issue.ts'
import { type ClientPath, clientPath, type IoCall, SYDNEY_PROFILE, stopTracing, traceIo } from '../counting.ts'
import {
  authorizationCode,
  basic,
  db,
  form,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  testStore,
  tokenFormat,
} from '../helpers.ts'

/** Sends `request` to the Worker with the profile's delays; returns the response and what its client waited for. */
async function measure(request: Request): Promise<{ response: Response; path: ClientPath }> {
  // The setup's own background work is over: the helpers wait for it (test/helpers.ts `login`, `postToken`).
  const ctx = createExecutionContext()
  traceIo(SYDNEY_PROFILE)
  const startedAt = Date.now()
  let respondedAt = startedAt
  let response: Response
  let calls: IoCall[]
  try {
    response = await worker.fetch(request, env, ctx)
    respondedAt = Date.now()
    // Background work runs on (delayed too) and is recorded, but ends after the response.
    await waitOnExecutionContext(ctx)
  } finally {
    calls = stopTracing()
  }
  const path = clientPath(calls, startedAt, respondedAt, SYDNEY_PROFILE)
  console.log(
    `${request.method} ${new URL(request.url).pathname} ${response.status}: primary ${path.primary}, replica ${path.replica}, kv ${path.kv}, ${path.ioMs} ms`,
    path.calls.map((call) => `${call.kind}:${call.op}`).join(' → '),
  )
  return { response, path }
}

function post(path: string, values: Record<string, string>, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form(values),
  })
}

function get(path: string, cookie?: string): Request {
  return new Request(`${ORIGIN}${path}`, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} })
}

describe('round trips on the client’s path (Sydney profile: primary 100 ms, replica 10 ms, KV 30 ms)', () => {
  it('password grant: at most 1 primary and 1 replica round trip', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const { response, path } = await measure(
      post('/o/token/', {
        grant_type: 'password',
        username: user.username,
        password: user.plainPassword,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(response.status).toBe(200)
    expect(path.primary).toBeLessThanOrEqual(1)
    expect(path.replica).toBeLessThanOrEqual(1)
  })

  it('client_credentials grant: at most 1 primary and 1 replica round trip', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const { response, path } = await measure(
      post(
        '/o/token/',
        { grant_type: 'client_credentials' },
        { Authorization: basic(app.clientId, app.clientSecret ?? '') },
      ),
    )
    expect(response.status).toBe(200)
    expect(path.primary).toBeLessThanOrEqual(1)
    expect(path.replica).toBeLessThanOrEqual(1)
  })

  it('authorization_code grant: at most 2 primary round trips', async () => {
    const { params } = await authorizationCode()
    const { response, path } = await measure(post('/o/token/', params))
    expect(response.status).toBe(200)
    expect(path.primary).toBeLessThanOrEqual(2)
  })

  it('refresh_token grant: at most 1 primary and 1 replica round trip', async () => {
    const { app, refreshToken } = await passwordToken()
    const { response, path } = await measure(
      post('/o/token/', {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(response.status).toBe(200)
    expect(path.primary).toBeLessThanOrEqual(1)
    expect(path.replica).toBeLessThanOrEqual(1)
  })

  it('revoking an access token (RFC 7009): at most 1 primary round trip', async () => {
    const { app, token } = await passwordToken()
    const { response, path } = await measure(
      post('/o/revoke_token/', { token, client_id: app.clientId, client_secret: app.clientSecret ?? '' }),
    )
    expect(response.status).toBe(200)
    expect(path.primary).toBeLessThanOrEqual(1)
  })

  it('revoking a refresh token (RFC 7009): at most 1 primary round trip', async () => {
    const { app, refreshToken } = await passwordToken()
    const { response, path } = await measure(
      post('/o/revoke_token/', {
        token: refreshToken,
        token_type_hint: 'refresh_token',
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(response.status).toBe(200)
    expect(path.primary).toBeLessThanOrEqual(1)
  })

  it('introspection (RFC 7662): at most 1 primary round trip', async () => {
    const { app, token } = await passwordToken()
    const { response, path } = await measure(
      post('/o/introspect/', { token }, { Authorization: basic(app.clientId, app.clientSecret ?? '') }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ active: true })
    expect(path.primary).toBeLessThanOrEqual(1)
  })

  it('GET /o/authorize/ (the consent page): replica reads only', async () => {
    const user = await makeUser()
    const app = await makeApplication({
      grantTypes: ['authorization-code'],
      redirectUris: ['https://client.example.com/callback'],
    })
    const cookie = await login(user)
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: 'https://client.example.com/callback',
      scope: 'read',
      state: 'xyz',
    })
    const { response, path } = await measure(get(`/o/authorize/?${query}`, cookie))
    expect(response.status).toBe(200)
    expect(path.primary).toBe(0)
  })

  it('GET /accounts/login/ with a session: replica reads only', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const { response, path } = await measure(get('/accounts/login/?next=/o/applications/', cookie))
    expect(response.status).toBe(200)
    expect(path.primary).toBe(0)
  })
})

describe('a write re-checks on the primary what was read from a replica (docs/architecture.md)', () => {
  async function issueFor(
    user: Awaited<ReturnType<typeof makeUser>>,
    app: Awaited<ReturnType<typeof makeApplication>>,
  ) {
    return issueTokensIf(
      testStore(),
      {
        userId: user.id,
        username: user.username,
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['read'],
        accessLifetime: 3600,
        refreshLifetime: 86400,
      },
      and(applicationStillAllows(app, 'password'), userStillActive(user, true)),
    )
  }

  async function tokenRows(applicationId: number) {
    const access = await db.select().from(accessTokens).where(eq(accessTokens.applicationId, applicationId))
    const refresh = await db.select().from(refreshTokens).where(eq(refreshTokens.applicationId, applicationId))
    return access.length + refresh.length
  }

  it('the facts as read: tokens are written', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    expect(await issueFor(user, app)).not.toBeNull()
    expect(await tokenRows(app.id)).toBe(2)
  })

  const changes: [string, (user: { id: number }, app: { id: number }) => Promise<unknown>][] = [
    ['the user was deactivated', (user) => db.update(users).set({ isActive: false }).where(eq(users.id, user.id))],
    ['the password changed', (user) => db.update(users).set({ password: 'changed' }).where(eq(users.id, user.id))],
    [
      'the client secret changed',
      (_, app) => db.update(applications).set({ clientSecretHash: 'other' }).where(eq(applications.id, app.id)),
    ],
    [
      'the grant was withdrawn',
      (_, app) =>
        db
          .update(applications)
          .set({ grantTypes: ['client-credentials'] })
          .where(eq(applications.id, app.id)),
    ],
  ]
  for (const [change, apply] of changes) {
    it(`${change} since the replica was read: nothing is written`, async () => {
      const user = await makeUser()
      const app = await makeApplication()
      await apply(user, app)
      expect(await issueFor(user, app)).toBeNull()
      expect(await tokenRows(app.id)).toBe(0)
    })
  }

  it('a code redemption whose facts no longer hold spends nothing: the code stays unused', async () => {
    const { user, app, code } = await authorizationCode()
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
    const found = await findAuthorizationCode(db, tokenFormat, code)
    if (found.status !== 'live') throw new Error('the code should be live')
    const facts = and(applicationStillAllows(app, 'authorization-code'), userStillActive(user, false))
    const outcome = await redeemAndIssueTokens(
      testStore(),
      {
        userId: user.id,
        username: user.username,
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['read'],
        accessLifetime: 3600,
        refreshLifetime: 86400,
      },
      markCodeRedeemed(db, found.grant, facts),
      facts,
    )
    expect(outcome.status).toBe('stale')
    expect((await findAuthorizationCode(db, tokenFormat, code)).status).toBe('live')
    expect(await tokenRows(app.id)).toBe(0)
  })
})
