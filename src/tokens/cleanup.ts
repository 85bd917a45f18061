/**
 * @module
 * DOT's `cleartokens`: deletes expired refresh tokens, access tokens, authorization codes,
 * device codes (RFC 8628), pushed authorization requests (RFC 9126) and the one-time JWT IDs of
 * the replay store (./replay.ts) in bounded batches, in the main database and in every token
 * shard (./shards.ts: its refresh and access tokens and codes). The cron trigger (src/index.ts
 * `scheduled`, every minute in wrangler.toml) runs one run: the databases at once, each batching
 * across its tables until none has expired rows left, all together within `maxQueries`
 * statements (200, 20 more a token shard, at most 800: a Worker invocation may make at most 1,000
 * D1 queries) and `timeBudgetMs` (so runs a minute apart never overlap). `npm run manage -- cleartokens` repeats runs until nothing
 * expired is left. Capacity and load figures: docs/capacity.md.
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
// What a token shard holds besides its fences (src/db/shard-schema.ts).
const SHARD_TABLES: readonly TableName[] = ['refreshTokens', 'accessTokens', 'authorizationCodes']

export type CleanupLimits = { batchRows: number; maxQueries: number; timeBudgetMs: number }
export type CleanupReport = Record<TableName, number> & {
  queries: number
  complete: boolean
  /** Each database's share: statements made, and whether it has nothing expired left. */
  shards: { shard: number; queries: number; complete: boolean }[]
}

/** A database to clean: shard 0 is the main database (every table), others token shards. */
export type CleanupTarget = { shard: number; db: Db }

export const CLEANUP_LIMITS: CleanupLimits = {
  batchRows: CLEANUP_BATCH_ROWS,
  maxQueries: CLEANUP_MAX_QUERIES,
  timeBudgetMs: CLEANUP_TIME_BUDGET_MS,
}

// Each token shard adds statements to a run (≈ 6 a minute at 1,000 grants/s over 32 shards:
// docs/capacity.md), up to a ceiling that leaves a fifth of the invocation's 1,000 queries.
const CLEANUP_QUERIES_PER_SHARD = 20
const CLEANUP_MAX_QUERIES_CEILING = 800

/**
 * The limits of one cron run over `databases` token databases (the main one and each shard).
 * @internal Exported for tests: test/platform/cleanup.test.ts checks the budget it gives.
 */
export function cronCleanupLimits(databases: number): CleanupLimits {
  const maxQueries = CLEANUP_MAX_QUERIES + CLEANUP_QUERIES_PER_SHARD * Math.max(0, databases - 1)
  return { ...CLEANUP_LIMITS, maxQueries: Math.min(maxQueries, CLEANUP_MAX_QUERIES_CEILING) }
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
 * Deletes rows that expired before `now` in every database of `targets` at once (a Db alone: the
 * main database), in each one batch per table in turn, until every table came back short (nothing
 * expired left) or a budget shared by all of them is spent. `complete` is false when a table may
 * still hold expired rows. `clock` is injectable for the tests.
 */
export async function clearExpiredTokens(
  targets: Db | readonly CleanupTarget[],
  given?: CleanupLimits,
  now = nowSeconds(),
  clock: () => number = Date.now,
): Promise<CleanupReport> {
  const databases = Array.isArray(targets) ? targets : [{ shard: 0, db: targets as Db }]
  const limits = given ?? cronCleanupLimits(databases.length)
  const report: CleanupReport = {
    refreshTokens: 0,
    accessTokens: 0,
    authorizationCodes: 0,
    deviceCodes: 0,
    pushedAuthorizationRequests: 0,
    usedJtis: 0,
    queries: 0,
    complete: false,
    shards: [],
  }
  const started = clock()
  const spent = () => report.queries >= limits.maxQueries || clock() - started >= limits.timeBudgetMs
  report.shards = await Promise.all(
    databases.map(async ({ shard, db }) => {
      const own = { shard, queries: 0, complete: false }
      let pending = shard === 0 ? (Object.keys(TABLES) as TableName[]) : [...SHARD_TABLES]
      while (pending.length > 0) {
        for (const name of pending) {
          if (spent()) return own
          // Counted before the statement: the databases run at once and share the budget.
          report.queries++
          own.queries++
          const deleted = (await expiredBatch(db, name, now, limits.batchRows)).length
          report[name] += deleted
          if (deleted < limits.batchRows) pending = pending.filter((table) => table !== name)
        }
      }
      own.complete = true
      return own
    }),
  )
  report.complete = report.shards.every((shard) => shard.complete)
  return report
}
