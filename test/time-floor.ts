/**
 * @module
 * The login time floor (src/accounts/password-timing.ts) in the tests: test/setup.ts makes every
 * floor a recorded request that does not wait, so a file that stores a slow legacy hash does not
 * spend 2 s of wall time on each password check, and a test reads which floors were asked for.
 */
import { floorTimer } from '../src/accounts/password-timing.ts'

const requested: number[] = []

/** From now on, floors are recorded (`takeFloors`) and not waited for. */
export function recordTimeFloors(): void {
  requested.length = 0
  floorTimer.wait = async (ms) => {
    requested.push(ms)
  }
}

/** The floors (ms) password checks asked for since the last call, in order. */
export function takeFloors(): number[] {
  return requested.splice(0)
}
