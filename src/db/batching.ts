/**
 * @module
 * Bulk writes within D1's limits: a statement binds at most 100 parameters, so a multi-row INSERT
 * carries `rowsPerStatement(columns)` rows, and statements go to D1 a batch at a time.
 */
import type { BatchItem } from 'drizzle-orm/batch'
import type { Db } from './client.ts'

// https://developers.cloudflare.com/d1/platform/limits/ ("Maximum bound parameters per query").
const D1_MAX_BOUND_PARAMETERS = 100
// Statements per D1 batch (one round trip, one transaction): small enough to stay far below the
// request size and duration limits of a remote batch.
const STATEMENTS_PER_BATCH = 50

/** Rows of `columns` bound values that fit one statement. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / columns))
}

/** `items` in consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Runs the statements in batches, in order; the results of every statement, in order. The statements
 * must be idempotent (reads, INSERT … ON CONFLICT DO NOTHING): a batch whose connection failed is
 * sent once more, since it may or may not have run. (The CLI's connection to D1, wrangler's proxy,
 * can be closed under it while a large dump is parsed.)
 */
export async function runBatched<T extends BatchItem<'sqlite'>>(db: Db, statements: T[]): Promise<unknown[]> {
  const results: unknown[] = []
  for (const batch of chunks(statements, STATEMENTS_PER_BATCH)) {
    const [first, ...rest] = batch
    const run = () => db.batch([first, ...rest])
    results.push(
      ...(await run().catch((error: unknown) => (isConnectionFailure(error) ? run() : Promise.reject(error)))),
    )
  }
  return results
}

function isConnectionFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed'
}
