/**
 * @module
 * The login time floor: while any user still has an imported Django PBKDF2 hash too slow for
 * Web Crypto (checked in pure JS, ~0.6 s of CPU at 1,000,000 iterations against one argon2id
 * hash's ~35 ms), every password check — unknown user, argon2id user, legacy user — answers no
 * sooner than that hash's verification could take, so response time does not single out the
 * users who have not logged in since the import. The padding is a timer (wall time, no CPU), and
 * it disappears once the last legacy hash is upgraded at its owner's next login.
 */
import { and, desc, gt, lte, type SQL, sql } from 'drizzle-orm'
import { pbkdf2TimeFloorMs } from '../crypto/passwords.ts'
import { PBKDF2_MAX_ITERATIONS, WEB_CRYPTO_PBKDF2_MAX_ITERATIONS } from '../crypto/pbkdf2.ts'
import type { Db } from '../db/client.ts'
import { users } from '../db/schema.ts'

// The expression and condition of users_pbkdf2_iterations_idx (src/db/schema.ts), written the same
// way so SQLite answers from that index.
const iterations: SQL<number> = sql`CAST(substr(${users.password}, 15, instr(substr(${users.password}, 15), '$') - 1) AS INTEGER)`
const isPbkdf2: SQL = sql`substr(${users.password}, 1, 14) = 'pbkdf2_sha256$'`

/**
 * The largest iteration count among stored PBKDF2 hashes that are checked in pure JS and can verify
 * at all: a corrupt count above PBKDF2_MAX_ITERATIONS never verifies, so it costs nothing and raises no floor.
 */
export function slowestLegacyHashQuery(db: Db) {
  return db
    .select({ iterations })
    .from(users)
    .where(and(isPbkdf2, gt(iterations, WEB_CRYPTO_PBKDF2_MAX_ITERATIONS), lte(iterations, PBKDF2_MAX_ITERATIONS)))
    .orderBy(desc(iterations))
    .limit(1)
}

/** The wall time, in ms, every password check is padded to now: 0 when no slow legacy hash is stored. */
export async function passwordCheckFloorMs(db: Db): Promise<number> {
  return floorMsOf(await slowestLegacyHashQuery(db))
}

/** The floor for what `slowestLegacyHashQuery` returned (read alone or in a batch). */
export function floorMsOf(slowest: { iterations: number }[]): number {
  return slowest[0] ? pbkdf2TimeFloorMs(slowest[0].iterations) : 0
}

/**
 * The timer the floor waits on. The tests replace `wait` with one that records the floor and does
 * not wait (test/time-floor.ts), so they check the floor without spending it; nothing the Worker
 * runs changes it.
 * @internal
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
  const floor = floorTimer.wait(floorMs)
  const [, result] = await Promise.all([floor, check()])
  return result
}
