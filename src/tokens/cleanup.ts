/**
 * @module
 * DOT's `cleartokens`: deletes expired refresh tokens, access tokens, authorization codes,
 * device codes (RFC 8628), pushed authorization requests (RFC 9126) and the one-time JWT IDs of
 * the replay store (./replay.ts) in bounded batches. The cron trigger (src/index.ts `scheduled`, every minute in wrangler.toml)
 * runs one run: batches across the tables until none has expired rows left, or the run has
 * made `maxQueries` statements (a Worker invocation may make at most 1,000 D1 queries), or
 * `timeBudgetMs` has passed (so runs a minute apart never overlap). `npm run manage -- cleartokens`
 * repeats runs until nothing expired is left. Capacity and load figures: docs/capacity.md.
 */
import { inArray, lt } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import {
  accessTokens,
  authorizationCodes,
  deviceCodes,
  pushedAuthorizationRequests,
  refreshTokens,
  usedJtis,
} from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'

/**
 * Rows one DELETE removes. The statement binds 2 parameters whatever the count (D1 allows 100);
 * 1,000 rows hold the primary's write lock a few milliseconds, so issuance barely waits behind it.
 */
export const CLEANUP_BATCH_ROWS = 1000
/** Statements a run may make: a fifth of an invocation's 1,000 D1 queries. */
const CLEANUP_MAX_QUERIES = 200
/** A run starts no statement after this long: well inside the minute until the next cron run. */
const CLEANUP_TIME_BUDGET_MS = 20_000

// Refresh tokens first: they point at access tokens (ON DELETE SET NULL would update them).
const TABLES = {
  refreshTokens,
  accessTokens,
  authorizationCodes,
  deviceCodes,
  pushedAuthorizationRequests,
  usedJtis,
} as const
type TableName = keyof typeof TABLES

export type CleanupLimits = { batchRows: number; maxQueries: number; timeBudgetMs: number }
export type CleanupReport = Record<TableName, number> & { queries: number; complete: boolean }

export const CLEANUP_LIMITS: CleanupLimits = {
  batchRows: CLEANUP_BATCH_ROWS,
  maxQueries: CLEANUP_MAX_QUERIES,
  timeBudgetMs: CLEANUP_TIME_BUDGET_MS,
}

/**
 * One bounded DELETE of expired rows; the inner SELECT walks the expires_at index. It returns the
 * deleted ids to count them: D1's `changes` also counts the refresh tokens that an access token's
 * delete updates (ON DELETE SET NULL), which would read as a full batch.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
export function expiredBatch(db: Db, name: TableName, now: number, rows: number) {
  const table = TABLES[name]
  const expired = db.select({ id: table.id }).from(table).where(lt(table.expiresAt, now)).limit(rows)
  return db.delete(table).where(inArray(table.id, expired)).returning({ id: table.id })
}

/**
 * Deletes rows that expired before `now`, one batch per table in turn, until every table came
 * back short (nothing expired left) or a budget is spent. `complete` is false when a table may
 * still hold expired rows. `clock` is injectable for the tests.
 */
export async function clearExpiredTokens(
  db: Db,
  limits: CleanupLimits = CLEANUP_LIMITS,
  now = nowSeconds(),
  clock: () => number = Date.now,
): Promise<CleanupReport> {
  const report: CleanupReport = {
    refreshTokens: 0,
    accessTokens: 0,
    authorizationCodes: 0,
    deviceCodes: 0,
    pushedAuthorizationRequests: 0,
    usedJtis: 0,
    queries: 0,
    complete: false,
  }
  const started = clock()
  let pending = Object.keys(TABLES) as TableName[]
  while (pending.length > 0) {
    for (const name of pending) {
      if (report.queries >= limits.maxQueries || clock() - started >= limits.timeBudgetMs) return report
      const deleted = (await expiredBatch(db, name, now, limits.batchRows)).length
      report.queries++
      report[name] += deleted
      if (deleted < limits.batchRows) pending = pending.filter((table) => table !== name)
    }
  }
  report.complete = true
  return report
}
