/**
 * Token shards (issue #27) under races and failures: a deactivation racing password grants that
 * land in several shards (clients in Sydney, Frankfurt and New York), grants whose facts were read
 * just before the deactivation and written just after it (a stale replica), and a user-wide change
 * whose fan-out fails in one shard.
 */
import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deactivateUser, setPassword } from '../../src/accounts/user-lifecycle.ts'
import { users } from '../../src/db/schema.ts'
import { standaloneShards } from '../../src/tokens/shards.ts'
import { standaloneTokenStore } from '../../src/tokens/store.ts'
import { SYDNEY_CF, shardBindingNames } from '../counting.ts'
import {
  db,
  fetchWorker,
  form,
  hello,
  inEveryTokenDatabase,
  makeApplication,
  makeUser,
  ORIGIN,
  testStore,
  tokenFormat,
} from '../helpers.ts'
import { faultyD1 } from './faults.ts'

afterEach(() => vi.restoreAllMocks())

// Clients near each token shard of the tests (TOKEN_SHARD_1_ENAM, _2_WEUR, _3_OC).
const PLACES = [
  SYDNEY_CF,
  { colo: 'FRA', country: 'DE', continent: 'EU', latitude: '50.11', longitude: '8.68' },
  { colo: 'EWR', country: 'US', continent: 'NA', latitude: '40.73', longitude: '-74.17' },
]

type User = Awaited<ReturnType<typeof makeUser>>
type App = Awaited<ReturnType<typeof makeApplication>>

function passwordGrant(user: User, app: App, place: object, bindings: Env = env) {
  const request = new Request(`${ORIGIN}/o/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form({
      grant_type: 'password',
      username: user.username,
      password: user.plainPassword,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }),
    cf: place as RequestInit['cf'],
  })
  return fetchWorker(request, bindings)
}

/** The user's access tokens and unrevoked refresh tokens in every token database. */
async function tokenRowsOf(userId: number): Promise<number> {
  const access = await inEveryTokenDatabase('SELECT id FROM access_tokens WHERE user_id = ?', userId)
  const refresh = await inEveryTokenDatabase(
    'SELECT id FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL',
    userId,
  )
  return access.length + refresh.length
}

describe('a deactivation racing grants in several shards', () => {
  it('grants that read the user before it and write after it (a stale replica) are refused by every shard', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const GRANTS = 6
    // Every write of these requests waits at the gate until the deactivation is over: each grant has
    // read the user (active, its generation) and the client, and writes only afterwards.
    let arrived = 0
    let allArrived!: () => void
    const arrivedAll = new Promise<void>((resolve) => {
      allArrived = resolve
    })
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const writtenTo = new Set<string>()
    const gated = (name: string, database: D1Database) =>
      new Proxy(database, {
        get(target, property) {
          if (property === 'batch') {
            return async (statements: D1PreparedStatement[]) => {
              writtenTo.add(name)
              if (++arrived === GRANTS) allArrived()
              await gate
              return target.batch(statements)
            }
          }
          const value = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    // The token shards' writes; the main database's (if any) pass.
    const names = shardBindingNames(env)
    const bindings = {
      ...env,
      ...Object.fromEntries(names.map((name) => [name, gated(name, env[name as keyof Env] as D1Database)])),
    } as Env
    const grants = Array.from({ length: GRANTS }, (_, i) => passwordGrant(user, app, PLACES[i % 3], bindings))
    await arrivedAll
    await deactivateUser(testStore(), user.id)
    open()
    const responses = await Promise.all(grants)
    // The first writes went to three shards; each refused them (a fence above the generation read),
    // and the grant, read again from the primary, found the user inactive.
    expect([...writtenTo].sort()).toEqual(shardBindingNames(env).sort())
    for (const response of responses) {
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: 'invalid_grant' })
    }
    expect(await tokenRowsOf(user.id)).toBe(0)
  })

  it('grants and a deactivation at once: once it is over, no token of the user works, in any shard', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const before = await Promise.all(PLACES.map((place) => passwordGrant(user, app, place)))
    const racing = Array.from({ length: 9 }, (_, i) => passwordGrant(user, app, PLACES[i % 3]))
    await deactivateUser(testStore(), user.id)
    const responses = [...before, ...(await Promise.all(racing))]
    const tokens: string[] = []
    for (const response of responses) {
      const body = await response.json<{ access_token?: string }>()
      if (response.status === 200 && body.access_token) tokens.push(body.access_token)
      else expect(response.status).toBe(400)
    }
    // The grants before it went to the three shards.
    const shards = new Set(await Promise.all(tokens.slice(0, 3).map((token) => tokenFormat.shardOf(token, 'access'))))
    expect(shards.size).toBe(3)
    for (const token of tokens) expect((await hello(token)).status, token.slice(0, 8)).toBe(401)
  })
})

describe('a user-wide change whose fan-out fails in one shard', () => {
  it('the change is not made, what the other shards revoked stays revoked; run again, it completes', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const tokens = []
    for (const place of PLACES)
      tokens.push((await (await passwordGrant(user, app, place)).json<{ access_token: string }>()).access_token)
    const [failing] = shardBindingNames(env)
    const broken = { ...env, [failing]: faultyD1(() => true, undefined, env[failing as keyof Env] as D1Database) }
    const store = standaloneTokenStore(db, env.TOKEN_CACHE, tokenFormat, undefined, standaloneShards(broken))
    const [before] = await db.select().from(users).where(eq(users.id, user.id))
    await expect(setPassword(store, user.id, 'another long password 9')).rejects.toThrow(/token shard \d+ failed/)
    const [after] = await db.select().from(users).where(eq(users.id, user.id))
    // The password was not changed in the main database…
    expect(after.password).toBe(before.password)
    // …and every token outside the failed shard is gone; none came back.
    const failedShard = Number(/^TOKEN_SHARD_(\d+)/.exec(failing)?.[1])
    for (const token of tokens) {
      const shard = await tokenFormat.shardOf(token, 'access')
      expect((await hello(token)).status).toBe(shard === failedShard ? 200 : 401)
    }
    await setPassword(testStore(), user.id, 'another long password 9')
    for (const token of tokens) expect((await hello(token)).status).toBe(401)
    expect(await tokenRowsOf(user.id)).toBe(0)
  })
})
