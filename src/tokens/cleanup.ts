/**
 * @module
 * DOT's `cleartokens`: deletes expired refresh tokens, access tokens, authorization codes and
 * device codes (RFC 8628)
 * in bounded batches, so a run on a very large table neither holds one long write nor
 * exceeds a Worker invocation's limits. Run by the cron trigger (src/index.ts `scheduled`)
 * and by `npm run manage -- cleartokens`.
 */
import { inArray, lt } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { accessTokens, authorizationCodes, deviceCodes, refreshTokens } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'

/** Rows one DELETE removes: each statement binds 2 parameters (D1 allows 100). */
export const CLEANUP_BATCH_ROWS = 500
/** Statements per table in one run: a cron run deletes at most this × batch rows a table. */
export const CLEANUP_MAX_BATCHES = 20

// Refresh tokens first: they point at access tokens (ON DELETE SET NULL would update them).
const TABLES = { refreshTokens, accessTokens, authorizationCodes, deviceCodes } as const

export type CleanupLimits = { batchRows: number; maxBatches: number }
export type CleanupReport = Record<keyof typeof TABLES, number> & { complete: boolean }

/** One bounded DELETE of expired rows; the inner SELECT walks the expires_at index. */
export function expiredBatch(db: Db, name: keyof typeof TABLES, now: number, rows: number) {
  const table = TABLES[name]
  const expired = db.select({ id: table.id }).from(table).where(lt(table.expiresAt, now)).limit(rows)
  return db.delete(table).where(inArray(table.id, expired))
}

/**
 * Deletes rows that expired before `now`, at most `maxBatches` statements of `batchRows`
 * rows per table. `complete` is false when a table may still hold expired rows.
 */
export async function clearExpiredTokens(
  db: Db,
  limits: CleanupLimits = { batchRows: CLEANUP_BATCH_ROWS, maxBatches: CLEANUP_MAX_BATCHES },
  now = nowSeconds(),
): Promise<CleanupReport> {
  const report: CleanupReport = {
    refreshTokens: 0,
    accessTokens: 0,
    authorizationCodes: 0,
    deviceCodes: 0,
    complete: true,
  }
  for (const name of Object.keys(TABLES) as (keyof typeof TABLES)[]) {
    let deleted = limits.batchRows
    for (let batch = 0; batch < limits.maxBatches && deleted === limits.batchRows; batch++) {
      const result = await expiredBatch(db, name, now, limits.batchRows).run()
      deleted = result.meta.changes
      report[name] += deleted
    }
    if (deleted === limits.batchRows) report.complete = false
  }
  return report
}
