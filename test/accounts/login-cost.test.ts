import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { authenticateUser } from '../../src/accounts/users.ts'
import { argon2WorkDone } from '../../src/crypto/argon2.ts'
import { ARGON2_PARAMS } from '../../src/crypto/passwords.ts'
import { users } from '../../src/db/schema.ts'
import { db, makeUser, productionPasswordCost } from '../helpers.ts'

// What a login costs in production: this file hashes at production cost.
productionPasswordCost()

/** Argon2 work (KiB × passes) one call did: a cost measure that needs no clock. */
async function workOf(run: () => Promise<unknown>): Promise<number> {
  const before = argon2WorkDone()
  await run()
  return argon2WorkDone() - before
}

describe('login cost does not reveal which usernames exist', () => {
  it('an unknown username, a wrong password and a right one each cost one argon2id hash at the current parameters', async () => {
    const user = await makeUser()
    // The dummy hash is made once per isolate, on first use: not part of any later login.
    await authenticateUser(db, 'nobody-primes-the-dummy', 'x')
    const oneHash = ARGON2_PARAMS.memoryKiB * ARGON2_PARAMS.iterations
    expect(await workOf(() => authenticateUser(db, 'no-such-user', 'guess'))).toBe(oneHash)
    expect(await workOf(() => authenticateUser(db, user.username, 'guess'))).toBe(oneHash)
    expect(await workOf(() => authenticateUser(db, user.username, user.plainPassword))).toBe(oneHash)
  })

  it('an unusable stored hash costs the same as a real one', async () => {
    const user = await makeUser()
    await db.update(users).set({ password: '!unusable' }).where(eq(users.id, user.id))
    await authenticateUser(db, 'nobody-primes-the-dummy', 'x')
    expect(await workOf(() => authenticateUser(db, user.username, 'guess'))).toBe(
      ARGON2_PARAMS.memoryKiB * ARGON2_PARAMS.iterations,
    )
  })
})
