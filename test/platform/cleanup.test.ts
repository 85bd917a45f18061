/**
 * cleartokens (src/tokens/cleanup.ts): expired rows go in bounded batches, live rows stay;
 * the cron trigger runs it.
 */
import { createScheduledController, env } from 'cloudflare:test'
import { count, gte, lt } from 'drizzle-orm'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { accessTokens, authorizationCodes, deviceCodes, refreshTokens } from '../../src/db/schema.ts'
import worker from '../../src/index.ts'
import { clearExpiredTokens } from '../../src/tokens/cleanup.ts'
import { d1QueryCount } from '../counting.ts'
import { db, makeApplication, makeUser, unique } from '../helpers.ts'

const NOW = Math.floor(Date.now() / 1000)

async function seed(expired: number, live: number) {
  const user = await makeUser()
  const app = await makeApplication()
  const rows = (n: number, expiresAt: number) =>
    Array.from({ length: n }, () => ({ userId: user.id, applicationId: app.id, scope: 'read', expiresAt }))
  const all = [...rows(expired, NOW - 10), ...rows(live, NOW + 3600)]
  // Small chunks: every row binds several parameters and D1 allows 100 per statement.
  for (let i = 0; i < all.length; i += 10) {
    const chunk = all.slice(i, i + 10)
    await db.insert(accessTokens).values(chunk.map((row) => ({ ...row, tokenHash: unique('a') })))
    await db
      .insert(refreshTokens)
      .values(chunk.map((row) => ({ ...row, tokenHash: unique('r'), familyId: unique('f') })))
    await db
      .insert(authorizationCodes)
      .values(chunk.map((row) => ({ ...row, userId: user.id, codeHash: unique('g'), redirectUri: 'https://a/' })))
    await db
      .insert(deviceCodes)
      .values(chunk.map((row) => ({ ...row, deviceCodeHash: unique('d'), userCodeHash: unique('u'), interval: 5 })))
  }
}

async function counts(
  table: typeof accessTokens | typeof refreshTokens | typeof authorizationCodes | typeof deviceCodes,
) {
  const [expired] = await db.select({ n: count() }).from(table).where(lt(table.expiresAt, NOW))
  const [live] = await db.select({ n: count() }).from(table).where(gte(table.expiresAt, NOW))
  return { expired: expired.n, live: live.n }
}

beforeEach(async () => {
  await db.delete(refreshTokens)
  await db.delete(accessTokens)
  await db.delete(authorizationCodes)
  await db.delete(deviceCodes)
})

describe('clearExpiredTokens', () => {
  it('deletes every expired access token, refresh token, code and device code, and nothing live', async () => {
    await seed(25, 5)
    const report = await clearExpiredTokens(db, { batchRows: 10, maxBatches: 10 }, NOW)
    expect(report).toEqual({
      refreshTokens: 25,
      accessTokens: 25,
      authorizationCodes: 25,
      deviceCodes: 25,
      complete: true,
    })
    for (const table of [accessTokens, refreshTokens, authorizationCodes, deviceCodes]) {
      expect(await counts(table)).toEqual({ expired: 0, live: 5 })
    }
  })

  it('stops after maxBatches statements of batchRows rows per table and says it is not complete', async () => {
    await seed(25, 0)
    const before = d1QueryCount()
    const report = await clearExpiredTokens(db, { batchRows: 10, maxBatches: 2 }, NOW)
    expect(d1QueryCount() - before).toBe(8)
    expect(report).toEqual({
      refreshTokens: 20,
      accessTokens: 20,
      authorizationCodes: 20,
      deviceCodes: 20,
      complete: false,
    })
    expect(await counts(accessTokens)).toEqual({ expired: 5, live: 0 })
    const rest = await clearExpiredTokens(db, { batchRows: 10, maxBatches: 2 }, NOW)
    expect(rest).toEqual({ refreshTokens: 5, accessTokens: 5, authorizationCodes: 5, deviceCodes: 5, complete: true })
  })

  it('the cron trigger runs one cleanup', async () => {
    await seed(3, 2)
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {})
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '*/30 * * * *' }), env)
    // One log line per run: what was deleted, as JSON for the Workers logs.
    expect(logged).toHaveBeenCalledOnce()
    expect(logged.mock.calls[0][0]).toBe('cleartokens')
    expect(JSON.parse(String(logged.mock.calls[0][1]))).toBeTypeOf('object')
    logged.mockRestore()
    expect(await counts(accessTokens)).toEqual({ expired: 0, live: 2 })
    expect(await counts(authorizationCodes)).toEqual({ expired: 0, live: 2 })
    expect(await counts(deviceCodes)).toEqual({ expired: 0, live: 2 })
  })
})
