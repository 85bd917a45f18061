/**
 * Round trips on the client's path (issue #17, goal 1; issue #27, token shards near every user),
 * under the regional Sydney profile of test/counting.ts: a client in Sydney (request.cf says so),
 * the main database's primary far away (100 ms a round trip), the token shard in Oceania 10 ms
 * (TOKEN_SHARD_3_OC; a shard on another continent costs 100 ms like any far primary), a replica
 * 10 ms, a KV operation 30 ms. Only what the client waits for counts: work handed to
 * `ctx.waitUntil` is still running when the response is ready and is left out; concurrent round
 * trips count once.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { deactivateUser, setPassword } from '../../src/accounts/user-lifecycle.ts'
import { applications, users } from '../../src/db/schema.ts'
import worker from '../../src/index.ts'
import { rotateApplicationSecret, updateApplication } from '../../src/oauth/applications.ts'
import { findAuthorizationCode, markCodeRedeemed } from '../../src/tokens/authorization-codes.ts'
import { issueTokensIf, redeemAndIssueTokens } from '../../src/tokens/issue.ts'
import {
  type ClientPath,
  clientPath,
  type IoCall,
  SYDNEY_CF,
  SYDNEY_PROFILE,
  stopTracing,
  traceIo,
} from '../counting.ts'
import {
  authorizationCode,
  basic,
  db,
  fetchWorker,
  form,
  inEveryTokenDatabase,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  testStore,
  tokenDatabases,
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
    `${request.method} ${new URL(request.url).pathname} ${response.status}: main primary ${path.primary}, shard ${path.shard}, far ${path.farPrimary}, replica ${path.replica}, kv ${path.kv}, ${path.ioMs} ms`,
    path.calls.map((call) => `${call.kind}(${call.database}):${call.op}`).join(' → '),
  )
  return { response, path }
}

// Requests from a client in Sydney, as Cloudflare describes it in request.cf.
function post(path: string, values: Record<string, string>, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form(values),
    cf: SYDNEY_CF,
  })
}

function get(path: string, cookie?: string): Request {
  return new Request(`${ORIGIN}${path}`, {
    redirect: 'manual',
    headers: cookie ? { Cookie: cookie } : {},
    cf: SYDNEY_CF,
  })
}

/** The token shard a client in Sydney is nearest to: the one created with the location hint oc. */
function sydneyShard(): number {
  const shard = tokenDatabases().find(({ shard }) => shard > 0 && SHARD_NAMES[shard]?.endsWith('_OC'))
  if (!shard) throw new Error('no token shard in Oceania (TOKEN_SHARD_<n>_OC) is bound')
  return shard.shard
}
const SHARD_NAMES: Record<number, string> = Object.fromEntries(
  Object.keys(env)
    .filter((name) => /^TOKEN_SHARD_\d/.test(name))
    .map((name) => [Number(/^TOKEN_SHARD_(\d+)/.exec(name)?.[1]), name]),
)

/** A password grant made from Sydney (its tokens in the Oceania shard), for the requests that use its tokens. */
async function sydneyPasswordToken() {
  const user = await makeUser()
  const app = await makeApplication()
  const response = await fetchWorker(
    post('/o/token/', {
      grant_type: 'password',
      username: user.username,
      password: user.plainPassword,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }),
  )
  const body = await response.json<{ access_token: string; refresh_token: string }>()
  return { user, app, token: body.access_token, refreshToken: body.refresh_token }
}

/** Issue #27's goal for a grant from Sydney: one round trip to the nearby shard, none to a far primary, ≤ 40 ms of I/O. */
function expectRegional(path: ClientPath) {
  expect(path.shard).toBeLessThanOrEqual(1)
  expect(path.farPrimary).toBe(0)
  expect(path.ioMs).toBeLessThanOrEqual(40)
}

describe('round trips on the client’s path (Sydney profile: main primary 100 ms, Oceania shard 10 ms, replica 10 ms, KV 30 ms)', () => {
  it('password grant: 1 round trip to the Oceania shard, none to a far primary, ≤ 40 ms of I/O', async () => {
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
    expectRegional(path)
    expect(path.replica).toBeLessThanOrEqual(1)
  })

  it('client_credentials grant: 1 round trip to the Oceania shard, none to a far primary, ≤ 40 ms of I/O', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const { response, path } = await measure(
      post(
        '/o/token/',
        { grant_type: 'client_credentials' },
        { Authorization: basic(app.clientId, app.clientSecret ?? '') },
      ),
    )
    expect(response.status).toBe(200)
    expectRegional(path)
    expect(path.replica).toBeLessThanOrEqual(1)
  })

  it('authorization_code grant: 1 round trip to the code’s shard (Oceania), none to a far primary, ≤ 40 ms of I/O', async () => {
    // The code was minted at /o/authorize/ for a browser in Sydney: in the Oceania shard.
    const { params } = await authorizationCode({ shard: sydneyShard() })
    const { response, path } = await measure(post('/o/token/', params))
    expect(response.status).toBe(200)
    expectRegional(path)
  })

  it('refresh_token grant: 1 round trip to the grant’s shard (Oceania), none to a far primary, ≤ 40 ms of I/O', async () => {
    const { app, refreshToken } = await sydneyPasswordToken()
    const { response, path } = await measure(
      post('/o/token/', {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(response.status).toBe(200)
    expectRegional(path)
  })

  it('revoking an access token (RFC 7009): 1 round trip to its shard, none to a far primary', async () => {
    const { app, token } = await sydneyPasswordToken()
    const { response, path } = await measure(
      post('/o/revoke_token/', { token, client_id: app.clientId, client_secret: app.clientSecret ?? '' }),
    )
    expect(response.status).toBe(200)
    expect(path.shard).toBeLessThanOrEqual(1)
    expect(path.farPrimary).toBe(0)
  })

  it('revoking a refresh token (RFC 7009): 1 round trip to its shard, none to a far primary', async () => {
    const { app, refreshToken } = await sydneyPasswordToken()
    const { response, path } = await measure(
      post('/o/revoke_token/', {
        token: refreshToken,
        token_type_hint: 'refresh_token',
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(response.status).toBe(200)
    expect(path.shard).toBeLessThanOrEqual(1)
    expect(path.farPrimary).toBe(0)
  })

  it('introspection (RFC 7662): the token’s shard and the main primary, each once', async () => {
    const { app, token } = await sydneyPasswordToken()
    const { response, path } = await measure(
      post('/o/introspect/', { token }, { Authorization: basic(app.clientId, app.clientSecret ?? '') }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ active: true })
    // From D1's primaries alone (a revocation shows at once): the user's state is the main database's.
    expect(path.primary).toBeLessThanOrEqual(1)
    expect(path.shard).toBeLessThanOrEqual(1)
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
    // Earlier grants are looked for in every shard's replica at once.
    expect(path.shard).toBe(0)
  })

  it('GET /accounts/login/ with a session: replica reads only', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const { response, path } = await measure(get('/accounts/login/?next=/o/applications/', cookie))
    expect(response.status).toBe(200)
    expect(path.primary).toBe(0)
  })
})

describe('a token shard refuses a write whose facts a change passed since they were read (src/tokens/fences.ts)', () => {
  type User = Awaited<ReturnType<typeof makeUser>>
  type App = Awaited<ReturnType<typeof makeApplication>>

  /** A password grant's write, in shard `shard`, from the user and the client as read (the replica's rows). */
  async function issueFor(user: User, app: App, shard: number) {
    return issueTokensIf(
      testStore(shard),
      {
        userId: user.id,
        username: user.username,
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['read'],
        accessLifetime: 3600,
        refreshLifetime: 86400,
      },
      { application: app, user },
    )
  }

  async function tokenRows(applicationId: number) {
    const access = await inEveryTokenDatabase('SELECT id FROM access_tokens WHERE application_id = ?', applicationId)
    const refresh = await inEveryTokenDatabase('SELECT id FROM refresh_tokens WHERE application_id = ?', applicationId)
    return access.length + refresh.length
  }

  const shards = () => tokenDatabases().map(({ shard }) => shard)

  it('the facts as read: tokens are written, in every shard', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    for (const shard of shards()) expect(await issueFor(user, app, shard)).not.toBeNull()
    expect(await tokenRows(app.id)).toBe(2 * shards().length)
  })

  const changes: [string, (user: User, app: App) => Promise<unknown>][] = [
    ['the user was deactivated', (user) => deactivateUser(testStore(), user.id)],
    ['the password changed', (user) => setPassword(testStore(), user.id, 'another long password 9')],
    ['the client secret changed', (_, app) => rotateApplicationSecret(testStore(), app.id)],
    [
      'the grant was withdrawn',
      (_, app) => updateApplication(testStore(), app, { grantTypes: ['client-credentials'] }),
    ],
  ]
  for (const [change, apply] of changes) {
    it(`${change} since the replica was read: nothing is written, in any shard`, async () => {
      const user = await makeUser()
      const app = await makeApplication()
      await apply(user, app)
      for (const shard of shards()) expect(await issueFor(user, app, shard)).toBeNull()
      expect(await tokenRows(app.id)).toBe(0)
      // Read again from the primary, what still holds is written: the fence refuses stale reads only.
      if (change === 'the password changed' || change === 'the client secret changed') {
        const [now] = await db.select().from(applications).where(eq(applications.id, app.id))
        const [again] = await db.select().from(users).where(eq(users.id, user.id))
        expect(await issueFor({ ...user, ...again }, { ...app, ...now }, shards()[1])).not.toBeNull()
      }
    })
  }

  it('a code redemption whose facts no longer hold spends nothing: the code stays unused', async () => {
    const { user, app, code } = await authorizationCode()
    const [read] = await db.select().from(users).where(eq(users.id, user.id))
    await deactivateUser(testStore(), user.id)
    const found = await findAuthorizationCode(testStore(), code)
    if (found.status !== 'live') throw new Error('the code should be live')
    const facts = { application: app, user: read }
    const outcome = await redeemAndIssueTokens(
      testStore(),
      found.where,
      {
        userId: user.id,
        username: user.username,
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['read'],
        accessLifetime: 3600,
        refreshLifetime: 86400,
      },
      markCodeRedeemed(found, facts),
      facts,
    )
    expect(outcome.status).toBe('stale')
    expect((await findAuthorizationCode(testStore(), code)).status).toBe('live')
    expect(await tokenRows(app.id)).toBe(0)
  })
})
