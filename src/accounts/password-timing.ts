/**
 * @module
 * The login time floor: while any user still has an imported Django hash dearer to check than
 * ours — a PBKDF2 hash too slow for Web Crypto (checked in pure JS, ~0.6 s of CPU at 1,000,000
 * iterations against one argon2id hash's ~35 ms), or an argon2 hash with more memory × passes than
 * ours (up to ARGON2_MAX_COST, ~5×) — every password check (unknown user, argon2id user, legacy user)
 * answers no sooner than that hash's verification could take, so response time does not single out
 * the users who have not logged in since the import. The padding is a timer (wall time, no CPU),
 * and it disappears once the last such hash is upgraded at its owner's next login.
 *
 * The same expressions find the slowest imported Django client secret (src/oauth/client-auth.ts):
 * `slowestHashColumns` over any column of encoded hashes, `floorMsOf` for what it found.
 */
import { and, type Column, desc, gt, lte, type SQL, sql } from 'drizzle-orm'
import { ARGON2_MAX_COST, argon2Cost } from '../crypto/argon2.ts'
import { ARGON2_PARAMS, argon2TimeFloorMs, pbkdf2TimeFloorMs } from '../crypto/passwords.ts'
import { PBKDF2_MAX_ITERATIONS, WEB_CRYPTO_PBKDF2_MAX_ITERATIONS } from '../crypto/pbkdf2.ts'
import type { Db } from '../db/client.ts'
import { users } from '../db/schema.ts'

// The expressions and conditions of users_pbkdf2_iterations_idx and users_argon2_cost_idx
// (src/db/schema.ts), written the same way so SQLite answers from those indexes.
const pbkdf2Iterations = (hash: Column | SQL): SQL<number> =>
  sql`CAST(substr(${hash}, 15, instr(substr(${hash}, 15), '$') - 1) AS INTEGER)`
const isPbkdf2 = (hash: Column | SQL): SQL => sql`substr(${hash}, 1, 14) = 'pbkdf2_sha256$'`
// SQLite's CAST reads the leading digits: `m=19456,t=2,…` → 19456. No `$m=` or `,t=`: 0.
const argon2MemoryTimesPasses = (hash: Column | SQL): SQL<number> =>
  sql`CAST(substr(${hash}, instr(${hash}, '$m=') + 3) AS INTEGER) * CAST(substr(${hash}, instr(${hash}, ',t=') + 3) AS INTEGER)`
const isArgon2 = (hash: Column | SQL): SQL => sql`substr(${hash}, 1, 7) = 'argon2$'`

/**
 * Every hash this project writes starts so (ARGON2_PARAMS): users_argon2_cost_idx leaves them out,
 * so it holds only imported argon2 hashes.
 * @internal Exported for tests: test/hardening/argon2-cost.test.ts pins it against hashPassword's output.
 */
export const OWN_ARGON2_PREFIX = 'argon2$argon2id$v=19$m=19456,t=2,p=1$'
const isForeignArgon2 = (hash: Column | SQL): SQL =>
  sql`${isArgon2(hash)} AND substr(${hash}, 1, ${sql.raw(String(OWN_ARGON2_PREFIX.length))}) <> ${sql.raw(`'${OWN_ARGON2_PREFIX}'`)}`

// A PBKDF2 count checked in pure JS (Web Crypto does the rest, cheaper than one argon2id hash) that
// can verify at all; an argon2 cost above ours that can verify. A corrupt or absurd value never
// verifies, so it costs nothing and raises no floor.
const slowPbkdf2 = (iterations: SQL) =>
  and(gt(iterations, WEB_CRYPTO_PBKDF2_MAX_ITERATIONS), lte(iterations, PBKDF2_MAX_ITERATIONS))
const slowArgon2 = (cost: SQL) => and(gt(cost, argon2Cost(ARGON2_PARAMS)), lte(cost, ARGON2_MAX_COST))

/** The largest iteration count among users' PBKDF2 hashes that are checked in pure JS and can verify. */
export function slowestLegacyHashQuery(db: Db) {
  const iterations = pbkdf2Iterations(users.password)
  return db
    .select({ iterations })
    .from(users)
    .where(and(isPbkdf2(users.password), slowPbkdf2(iterations)))
    .orderBy(desc(iterations))
    .limit(1)
}

/** The largest cost (KiB × passes) among users' imported argon2 hashes dearer than ours that can verify. */
export function slowestArgon2HashQuery(db: Db) {
  const cost = argon2MemoryTimesPasses(users.password)
  return db
    .select({ cost })
    .from(users)
    .where(and(isForeignArgon2(users.password), slowArgon2(cost)))
    .orderBy(desc(cost))
    .limit(1)
}

/** The slowest hashes found: the largest slow PBKDF2 count and the largest dear argon2 cost (null: none). */
export type SlowestHashes = { pbkdf2Iterations: number | null; argon2Cost: number | null }

/** Columns for a SELECT of the slowest hashes in `hash` (one aggregate row, over rows the caller picks). */
export function slowestHashColumns(hash: Column) {
  const iterations = pbkdf2Iterations(hash)
  const cost = argon2MemoryTimesPasses(hash)
  return {
    pbkdf2Iterations: sql<
      number | null
    >`max(CASE WHEN ${isPbkdf2(hash)} AND ${slowPbkdf2(iterations)} THEN ${iterations} END)`,
    argon2Cost: sql<number | null>`max(CASE WHEN ${isArgon2(hash)} AND ${slowArgon2(cost)} THEN ${cost} END)`,
  }
}

/** The slowest user hashes, from what the two queries above returned (read alone or in a batch). */
export function slowestOf(pbkdf2: { iterations: number }[], argon2: { cost: number }[]): SlowestHashes {
  return { pbkdf2Iterations: pbkdf2[0]?.iterations ?? null, argon2Cost: argon2[0]?.cost ?? null }
}

/** The wall time, in ms, a check is padded to while `slowest` is stored: 0 when nothing slow is. */
export function floorMsOf(slowest: SlowestHashes): number {
  return Math.max(pbkdf2TimeFloorMs(slowest.pbkdf2Iterations ?? 0), argon2TimeFloorMs(slowest.argon2Cost ?? 0))
}

/**
 * The wall time, in ms, every password check is padded to now: 0 when no slow imported hash is stored.
 * @internal Exported for tests: they read the floor without timing a login.
 */
export async function passwordCheckFloorMs(db: Db): Promise<number> {
  const [pbkdf2, argon2] = await db.batch([slowestLegacyHashQuery(db), slowestArgon2HashQuery(db)])
  return floorMsOf(slowestOf(pbkdf2, argon2))
}

/**
 * The timer the floors wait on: wall time, no CPU. An object, so a test can record the floor a
 * request asked for instead of waiting it out (no clock in tests: test/time-floor.ts); nothing
 * the Worker runs changes it.
 */
export const floorTimer = {
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms))
  },
}

/**
 * Runs `check` and answers no sooner than `floorMs` after it started: the timer is armed before the
 * check's synchronous hashing, so the floor runs concurrently with it (padding up to the floor, not
 * adding it on top) in Workers and in Node alike.
 */
export async function withTimeFloor<T>(floorMs: number, check: () => Promise<T>): Promise<T> {
  if (floorMs <= 0) return check()
  const [, result] = await Promise.all([floorTimer.wait(floorMs), check()])
  return result
}
