/**
 * cleartokens (src/tokens/cleanup.ts): expired rows go in bounded batches, live rows stay; a run
 * stops at its query and time budgets; the every-minute cron keeps up with a day of issuance.
 */
import { createScheduledController, env } from 'cloudflare:test'
import { count, gte, lt } from 'drizzle-orm'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { getDb } from '../../src/db/client.ts'
import {
  accessTokens,
  authorizationCodes,
  deviceCodes,
  pushedAuthorizationRequests,
  refreshTokens,
  usedJtis,
} from '../../src/db/schema.ts'
import worker from '../../src/index.ts'
import { CLEANUP_BATCH_ROWS, CLEANUP_LIMITS, clearExpiredTokens, cronCleanupLimits } from '../../src/tokens/cleanup.ts'
import wranglerToml from '../../wrangler.toml?raw'
import { d1QueryCount } from '../counting.ts'
import { db, inEveryTokenDatabase, makeApplication, makeUser, tokenDatabases } from '../helpers.ts'

const NOW = Math.floor(Date.now() / 1000)
const TABLES = [
  accessTokens,
  refreshTokens,
  authorizationCodes,
  deviceCodes,
  pushedAuthorizationRequests,
  usedJtis,
] as const

/**
 * `n` rows in each token table, the i-th expiring at `firstExpiry + floor(i / perSecond)`, each
 * refresh token pointing at the access token issued with it. Random 32-byte digests; one
 * statement per table (a recursive CTE), so a simulated day seeds in seconds.
 */
async function seed(n: number, firstExpiry: number, perSecond = n) {
  const user = await makeUser()
  const app = await makeApplication()
  const rows = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)`
  const expiry = '?4 + i / ?5'
  await env.DB.batch([
    ...seedTokens(env.DB, n, firstExpiry, perSecond, user.id, app.id),
    env.DB.prepare(
      `${rows} INSERT INTO device_codes (device_code_hash, user_code_hash, application_id, scope, interval, expires_at)
       SELECT lower(hex(randomblob(32))), lower(hex(randomblob(32))), ?3, 'read', 5, ${expiry} FROM n`,
    ).bind(n, user.id, app.id, firstExpiry, perSecond),
    env.DB.prepare(
      `${rows} INSERT INTO pushed_authorization_requests (request_uri_hash, application_id, params, expires_at)
       SELECT randomblob(32), ?3, '{}', ${expiry} FROM n`,
    ).bind(n, user.id, app.id, firstExpiry, perSecond),
    env.DB.prepare(
      `${rows} INSERT INTO used_jtis (key_hash, expires_at) SELECT randomblob(32), ?4 + i / ?5 FROM n`,
    ).bind(n, user.id, app.id, firstExpiry, perSecond),
  ])
}

/** The token tables' rows of `seed` in one token database (a shard holds no device codes, pushed requests or jtis). */
function seedTokens(d1: D1Database, n: number, firstExpiry: number, perSecond: number, userId: number, appId: number) {
  const rows = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)`
  const expiry = '?4 + i / ?5'
  return [
    d1
      .prepare(
        `${rows} INSERT INTO access_tokens (token_hash, user_id, application_id, scope, expires_at)
       SELECT randomblob(32), ?2, ?3, 'read', ${expiry} FROM n`,
      )
      .bind(n, userId, appId, firstExpiry, perSecond),
    d1
      .prepare(
        `${rows} INSERT INTO refresh_tokens (token_hash, access_token_id, user_id, application_id, scope, expires_at)
       SELECT randomblob(32), (SELECT seq FROM sqlite_sequence WHERE name = 'access_tokens') - ?1 + 1 + i,
         ?2, ?3, 'read', ${expiry} FROM n`,
      )
      .bind(n, userId, appId, firstExpiry, perSecond),
    d1
      .prepare(
        `${rows} INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, scope, expires_at)
       SELECT randomblob(32), ?3, ?2, 'https://a/', 'read', ${expiry} FROM n`,
      )
      .bind(n, userId, appId, firstExpiry, perSecond),
  ]
}

async function counts(table: (typeof TABLES)[number], now = NOW) {
  const [expired] = await db.select({ n: count() }).from(table).where(lt(table.expiresAt, now))
  const [live] = await db.select({ n: count() }).from(table).where(gte(table.expiresAt, now))
  return { expired: expired.n, live: live.n }
}

const limits = (batchRows: number, maxQueries: number, timeBudgetMs = 60_000) => ({
  batchRows,
  maxQueries,
  timeBudgetMs,
})

beforeEach(async () => {
  await db.delete(refreshTokens)
  await db.delete(accessTokens)
  await db.delete(authorizationCodes)
  await db.delete(deviceCodes)
  await db.delete(pushedAuthorizationRequests)
  await db.delete(usedJtis)
})

describe('clearExpiredTokens', () => {
  it('deletes every expired access token, refresh token, code, device code, pushed request and used jti, and nothing live', async () => {
    await seed(25, NOW - 10)
    await seed(5, NOW + 3600)
    const report = await clearExpiredTokens(db, limits(10, 100), NOW)
    expect(report).toEqual({
      refreshTokens: 25,
      accessTokens: 25,
      authorizationCodes: 25,
      deviceCodes: 25,
      pushedAuthorizationRequests: 25,
      usedJtis: 25,
      queries: 18,
      complete: true,
      // The main database alone: shard 0.
      shards: [{ shard: 0, queries: 18, complete: true }],
    })
    for (const table of TABLES) expect(await counts(table)).toEqual({ expired: 0, live: 5 })
  })

  it('counts deleted rows only: an expired access token still pointed at by a live refresh token', async () => {
    await seed(25, NOW - 10)
    // The refresh tokens stay live; deleting their access tokens sets access_token_id to null.
    await env.DB.prepare('UPDATE refresh_tokens SET expires_at = ?')
      .bind(NOW + 3600)
      .run()
    const report = await clearExpiredTokens(db, limits(10, 100), NOW)
    expect(report).toEqual({
      refreshTokens: 0,
      accessTokens: 25,
      authorizationCodes: 25,
      deviceCodes: 25,
      pushedAuthorizationRequests: 25,
      usedJtis: 25,
      queries: 16,
      complete: true,
      // The main database alone: shard 0.
      shards: [{ shard: 0, queries: 16, complete: true }],
    })
    expect(await counts(refreshTokens)).toEqual({ expired: 0, live: 25 })
    const linked = await env.DB.prepare(
      'SELECT count(*) AS n FROM refresh_tokens WHERE access_token_id IS NOT NULL',
    ).first()
    expect(linked).toEqual({ n: 0 })
  })

  it('stops after maxQueries statements, taking the tables in turn, and says it is not complete', async () => {
    await seed(25, NOW - 10)
    const before = d1QueryCount()
    const report = await clearExpiredTokens(db, limits(10, 5), NOW)
    expect(d1QueryCount() - before).toBe(5)
    expect(report).toEqual({
      refreshTokens: 10,
      accessTokens: 10,
      authorizationCodes: 10,
      deviceCodes: 10,
      pushedAuthorizationRequests: 10,
      usedJtis: 0,
      queries: 5,
      complete: false,
      // The main database alone: shard 0.
      shards: [{ shard: 0, queries: 5, complete: false }],
    })
    expect(await counts(authorizationCodes)).toEqual({ expired: 15, live: 0 })
    const rest = await clearExpiredTokens(db, limits(10, 20), NOW)
    expect(rest).toEqual({
      refreshTokens: 15,
      accessTokens: 15,
      authorizationCodes: 15,
      deviceCodes: 15,
      pushedAuthorizationRequests: 15,
      usedJtis: 25,
      queries: 13,
      complete: true,
      // The main database alone: shard 0.
      shards: [{ shard: 0, queries: 13, complete: true }],
    })
  })

  it('starts no statement once its time budget has passed', async () => {
    await seed(25, NOW - 10)
    // The clock reads 0 s at the start and one second more at each check: statements start at 1 s
    // and 2 s, and at 3 s the 2.5 s budget is spent.
    let reads = 0
    const clock = () => 1000 * reads++
    const report = await clearExpiredTokens(db, limits(10, 100, 2500), NOW, clock)
    expect(report).toEqual({
      refreshTokens: 10,
      accessTokens: 10,
      authorizationCodes: 0,
      deviceCodes: 0,
      pushedAuthorizationRequests: 0,
      usedJtis: 0,
      queries: 2,
      complete: false,
      // The main database alone: shard 0.
      shards: [{ shard: 0, queries: 2, complete: false }],
    })
  })

  it('the cron trigger runs one cleanup, every minute', async () => {
    expect(wranglerToml).toMatch(/^crons = \["\* \* \* \* \*"\]$/m)
    await seed(3, NOW - 10)
    await seed(2, NOW + 3600)
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {})
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env)
    // One log line per run: what was deleted, as JSON for the Workers logs.
    expect(logged).toHaveBeenCalledOnce()
    expect(logged.mock.calls[0][0]).toBe('cleartokens')
    expect(JSON.parse(String(logged.mock.calls[0][1]))).toMatchObject({ accessTokens: 3, complete: true })
    logged.mockRestore()
    for (const table of TABLES) expect(await counts(table)).toEqual({ expired: 0, live: 2 })
  })

  /*
   * A day at 100 grants/s, scaled down 400× in time (a day of 8.64 M rows a table would take the
   * test minutes): 216 s of issuance at the full rate, so 21,600 access tokens, refresh tokens,
   * codes, device codes, pushed requests and used jtis expire over 3.6 minutes, 6,000 per table per minute (100/s × 60 s) as on any minute of
   * the real day. The cron runs once a minute with the production limits; a full minute's run
   * needs 6 × (6 full batches of 1,000 + 1 short one) = 42 statements of its 200. After the 4 runs
   * the schedule makes, no expired row is left, and the live rows are untouched.
   */
  it('keeps up with a day of expiries at 100 grants/s: each minute run clears its minute, zero backlog after', async () => {
    const RATE = 100
    const DAY = 86_400 / 400
    const start = NOW + 100_000
    await seed(RATE * DAY, start, RATE)
    await seed(10, start + 10 * DAY)
    const runs = Math.ceil(DAY / 60)
    for (let minute = 1; minute <= runs; minute++) {
      const now = start + minute * 60
      const report = await clearExpiredTokens(db, CLEANUP_LIMITS, now)
      const due = Math.min(60, DAY - (minute - 1) * 60) * RATE
      const queries = TABLES.length * (Math.floor(due / CLEANUP_BATCH_ROWS) + 1)
      expect(report).toEqual({
        refreshTokens: due,
        accessTokens: due,
        authorizationCodes: due,
        deviceCodes: due,
        pushedAuthorizationRequests: due,
        usedJtis: due,
        queries,
        complete: true,
        // The main database alone: shard 0.
        shards: [{ shard: 0, queries, complete: true }],
      })
    }
    for (const table of TABLES) expect(await counts(table, start + 2 * DAY)).toEqual({ expired: 0, live: 10 })
  }, 60_000)
})

describe('clearExpiredTokens in every token shard (src/tokens/shards.ts)', () => {
  const SHARD_TABLES = ['access_tokens', 'refresh_tokens', 'authorization_codes']

  /** 25 expired and 5 live rows in each token table of each token shard. */
  async function seedShards() {
    const user = await makeUser()
    const app = await makeApplication()
    for (const { d1 } of tokenDatabases().slice(1)) {
      await d1.batch([
        ...seedTokens(d1, 25, NOW - 10, 25, user.id, app.id),
        ...seedTokens(d1, 5, NOW + 3600, 5, user.id, app.id),
      ])
    }
  }

  async function expiredLeft(): Promise<number[]> {
    const left: number[] = []
    for (const { d1 } of tokenDatabases().slice(1)) {
      let n = 0
      for (const table of SHARD_TABLES) {
        n +=
          (await d1.prepare(`SELECT count(*) AS n FROM ${table} WHERE expires_at < ?`).bind(NOW).first<{ n: number }>())
            ?.n ?? 0
      }
      left.push(n)
    }
    return left
  }

  beforeEach(async () => {
    await inEveryTokenDatabase('DELETE FROM refresh_tokens')
    await inEveryTokenDatabase('DELETE FROM access_tokens')
    await inEveryTokenDatabase('DELETE FROM authorization_codes')
  })

  it('the cron run clears the main database and every shard at once, each reported; live rows stay', async () => {
    await seedShards()
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {})
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env)
    const report = JSON.parse(String(logged.mock.calls[0][1]))
    logged.mockRestore()
    const shards = tokenDatabases().slice(1)
    expect(report).toMatchObject({
      accessTokens: 25 * shards.length,
      refreshTokens: 25 * shards.length,
      complete: true,
    })
    expect(report.shards.map((shard: { shard: number }) => shard.shard)).toEqual(tokenDatabases().map((db) => db.shard))
    expect(await expiredLeft()).toEqual(shards.map(() => 0))
    const live = await inEveryTokenDatabase<{ n: number }>('SELECT count(*) AS n FROM access_tokens')
    expect(live.map((row) => row.n)).toEqual([0, ...shards.map(() => 5)])
  })

  it('shares one query budget: all databases together make at most maxQueries statements, each table of each visited; the next runs finish', async () => {
    await seedShards()
    const everyDatabase = () => tokenDatabases().map(({ shard, d1 }) => ({ shard, db: getDb(d1) }))
    // 6 tables in the main database and 3 in each shard: the budget visits each once, and 5 more.
    const budget = 6 + 3 * (tokenDatabases().length - 1) + 5
    const before = d1QueryCount()
    const report = await clearExpiredTokens(everyDatabase(), limits(10, budget), NOW)
    expect(d1QueryCount() - before).toBe(budget)
    expect(report.queries).toBe(budget)
    expect(report.complete).toBe(false)
    expect(report.shards.reduce((sum, shard) => sum + shard.queries, 0)).toBe(budget)
    // Every table of every shard was taken in turn: at least 10 rows of each went.
    for (const left of await expiredLeft()) expect(left).toBeLessThanOrEqual(75 - 30)
    // The rest is taken by the next runs (a minute apart in production), which finish.
    let runs = 1
    while (!(await clearExpiredTokens(everyDatabase(), limits(10, budget), NOW)).complete) runs++
    expect(runs).toBeLessThanOrEqual(4)
    expect(await expiredLeft()).toEqual(
      tokenDatabases()
        .map(() => 0)
        .slice(1),
    )
  })

  it('the cron run’s query budget grows with the token shards: 200 statements for one database, 20 more a shard, at most 800 of an invocation’s 1,000', () => {
    expect(cronCleanupLimits(1)).toEqual(CLEANUP_LIMITS)
    expect(cronCleanupLimits(4).maxQueries).toBe(260)
    // 32 shards at 1,000 grants/s need ≈ 6 statements a minute each (docs/capacity.md).
    expect(cronCleanupLimits(33).maxQueries).toBe(800)
    expect(cronCleanupLimits(33).timeBudgetMs).toBe(CLEANUP_LIMITS.timeBudgetMs)
  })
})
