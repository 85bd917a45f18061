/**
 * @module
 * The cleanup row: how fast the cron's cleanup deletes expired rows, per table. Seeds D1 with
 * the steady state of a busy day (per table BENCH_CLEANUP_ROWS rows, default 50,000): expired
 * access tokens, each still pointed at by a live refresh token (so every delete also runs the
 * ON DELETE SET NULL on that refresh token, as in production, where access tokens expire 13 days
 * before their refresh tokens), expired refresh tokens, and expired authorization codes. Then
 * fires the Worker's real `scheduled` handler (one cron run each) until nothing expired is left,
 * and reports rows deleted per second of those runs, one table at a time.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../src/db/client.ts'
import type { Server } from './harness.ts'

export const CLEANUP_ROW = 'cleanup'
const ROWS_PER_TABLE = Number(process.env.BENCH_CLEANUP_ROWS ?? 50_000)
const TABLES = ['access_tokens', 'refresh_tokens', 'authorization_codes'] as const
type Table = (typeof TABLES)[number]

export type CleanupThroughput = {
  name: string
  rowsPerTable: number
  /** Per table: cron runs it took, their seconds, and expired rows deleted per second of them. */
  runs: Record<Table, number>
  seconds: Record<Table, number>
  rowsPerSecond: Record<Table, number>
}

async function expiredLeft(db: Db, table: Table, now: number): Promise<number> {
  const row = await db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${table} WHERE expires_at < ${now}`))
  return row.n
}

/** `n` expired rows in `table`; expired access tokens each with the live refresh token issued with them. */
async function seedExpired(db: Db, table: Table, now: number): Promise<void> {
  const n = ROWS_PER_TABLE
  const owner = await db.get<{ user: number; app: number }>(
    sql`SELECT (SELECT min(id) FROM users) AS user, (SELECT min(id) FROM applications) AS app`,
  )
  const rows = sql.raw(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${n})`)
  const [user, app, expired, live] = [owner.user, owner.app, now - 60, now + 14 * 86_400]
  if (table === 'access_tokens') {
    await db.run(sql`${rows} INSERT INTO access_tokens (token_hash, user_id, application_id, scope, expires_at)
      SELECT randomblob(32), ${user}, ${app}, 'read write', ${expired} FROM n`)
    // The live refresh tokens issued with them (the last n access token ids).
    await db.run(sql`${rows} INSERT INTO refresh_tokens (token_hash, access_token_id, user_id, application_id, scope, expires_at)
      SELECT randomblob(32), (SELECT seq FROM sqlite_sequence WHERE name = 'access_tokens') - ${n} + 1 + i,
        ${user}, ${app}, 'read write', ${live} FROM n`)
  } else if (table === 'refresh_tokens') {
    // Rotated or expired long after their access token went: no access token left to point at.
    await db.run(sql`${rows} INSERT INTO refresh_tokens (token_hash, user_id, application_id, scope, expires_at, revoked_at)
      SELECT randomblob(32), ${user}, ${app}, 'read write', ${expired}, ${expired} FROM n`)
  } else {
    await db.run(sql`${rows} INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, scope, expires_at)
      SELECT randomblob(32), ${app}, ${user}, 'https://client.example/cb', 'read write', ${expired} FROM n`)
  }
}

/** One table at a time: seeds its expired rows, then fires cron runs until none is left. */
export async function measureCleanup(server: Server, db: Db): Promise<CleanupThroughput> {
  const worker = await server.mf.getWorker()
  const result: CleanupThroughput = {
    name: 'cleanup: expired rows deleted per second by the cron runs',
    rowsPerTable: ROWS_PER_TABLE,
    runs: {} as CleanupThroughput['runs'],
    seconds: {} as CleanupThroughput['seconds'],
    rowsPerSecond: {} as CleanupThroughput['rowsPerSecond'],
  }
  for (const table of TABLES) {
    const now = Math.floor(Date.now() / 1000)
    await seedExpired(db, table, now)
    let runs = 0
    const started = performance.now()
    do {
      await worker.scheduled({ scheduledTime: new Date(), cron: '* * * * *' })
      runs++
    } while ((await expiredLeft(db, table, now)) > 0 && runs < 20)
    const seconds = (performance.now() - started) / 1000
    const left = await expiredLeft(db, table, now)
    if (left > 0) throw new Error(`cleanup: ${left} expired ${table} left after ${runs} runs`)
    result.runs[table] = runs
    result.seconds[table] = seconds
    result.rowsPerSecond[table] = ROWS_PER_TABLE / seconds
  }
  return result
}

export function cleanupTable(result: CleanupThroughput): string {
  return [
    `| ${result.name} | rows | cron runs | seconds | rows/s |`,
    '| --- | --- | --- | --- | --- |',
    ...TABLES.map(
      (table) =>
        `| ${table} | ${result.rowsPerTable} | ${result.runs[table]} | ${result.seconds[table].toFixed(2)} | ${result.rowsPerSecond[table].toFixed(0)} |`,
    ),
  ].join('\n')
}
