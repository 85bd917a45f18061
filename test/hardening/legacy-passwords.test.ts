/**
 * Imported Django PBKDF2 hashes: checked by a specialised pure-JS PBKDF2, upgraded to
 * argon2id at the first successful login, never a 500 when corrupt, and — while any slow one is
 * stored — every password check padded to one wall-time floor, so a not-yet-migrated user's slower
 * check does not reveal them.
 *
 * The floor is checked through its timer (test/time-floor.ts), not by measuring wall time.
 */
import { eq, inArray } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { floorTimer, passwordCheckFloorMs, withTimeFloor } from '../../src/accounts/password-timing.ts'
import { toHex, utf8 } from '../../src/crypto/encoding.ts'
import { PBKDF2_JS_BUDGET_NS_PER_ITERATION, pbkdf2TimeFloorMs, verifyPassword } from '../../src/crypto/passwords.ts'
import { PBKDF2_MAX_ITERATIONS, pbkdf2HmacSha256, webCryptoPbkdf2Sha256 } from '../../src/crypto/pbkdf2.ts'
import { users } from '../../src/db/schema.ts'
import { db, makeUser, passwordGrantWithNewApp, productionPasswordCost } from '../helpers.ts'
import { takeFloors } from '../time-floor.ts'

// Django 5.2's own test vector (tests/auth_tests/test_hashers.py): the password is 'lètmein'.
const DJANGO_1M = 'pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps='
const SLOW = { timeout: 60_000 }

const created: number[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  // Legacy rows raise the floor for every login: none outlives its test.
  if (created.length) await db.delete(users).where(inArray(users.id, created.splice(0)))
})

async function userWithHash(encoded: string) {
  const user = await makeUser()
  created.push(user.id)
  await db.update(users).set({ password: encoded }).where(eq(users.id, user.id))
  return user
}

async function storedHash(id: number) {
  return (await db.select({ password: users.password }).from(users).where(eq(users.id, id)).get())?.password
}

describe('pure-JS PBKDF2-HMAC-SHA256', () => {
  it('RFC 7914 §11 PBKDF2-HMAC-SHA256 test vectors', () => {
    expect(toHex(pbkdf2HmacSha256(utf8('passwd'), utf8('salt'), 1, 64))).toBe(
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
    )
    expect(toHex(pbkdf2HmacSha256(utf8('Password'), utf8('NaCl'), 80_000, 64))).toBe(
      '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d',
    )
  })

  it('agrees with Web Crypto on over-long keys, empty salts and odd key lengths', async () => {
    const cases: [string, string, number, number][] = [
      ['x'.repeat(65), 'salt', 3, 32],
      ['密码'.repeat(40), '', 1_000, 33],
      ['', 'seasalt', 2, 1],
      ['password', 'salt', 4_096, 100],
    ]
    for (const [password, salt, iterations, keyBytes] of cases) {
      const expected = await webCryptoPbkdf2Sha256(utf8(password), utf8(salt), iterations, keyBytes)
      expect(toHex(pbkdf2HmacSha256(utf8(password), utf8(salt), iterations, keyBytes))).toBe(toHex(expected))
    }
  })

  it("verifies Django 5.2's 1,000,000-iteration vector", SLOW, async () => {
    expect(await verifyPassword('lètmein', DJANGO_1M)).toBe(true)
    expect(await verifyPassword('letmein', DJANGO_1M)).toBe(false)
  })
})

describe('corrupt or absurd stored hashes', () => {
  async function neverVerifies(encoded: string) {
    const user = await userWithHash(encoded)
    expect(await verifyPassword('lètmein', encoded)).toBe(false)
    const response = await passwordGrantWithNewApp(user.username, 'lètmein')
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' })
    expect(await storedHash(user.id)).toBe(encoded)
  }

  it(
    'never verify and never answer 500: iterations 0, 10^12, above the cap, negative, not a number',
    SLOW,
    async () => {
      for (const iterations of ['0', '1000000000000', String(PBKDF2_MAX_ITERATIONS + 1), '-5', 'abc', '']) {
        await neverVerifies(`pbkdf2_sha256$${iterations}$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=`)
      }
      // A count that can never verify costs nothing, so it raises no floor either.
      expect(await passwordCheckFloorMs(db)).toBe(0)
    },
  )

  it('never verify and never answer 500: a hash that is not base64, or empty', SLOW, async () => {
    for (const hash of ['r1uL*xoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=', '=', '', 'r1uLUxoxpP2Ued$x']) {
      await neverVerifies(`pbkdf2_sha256$1000000$seasalt$${hash}`)
    }
    // The index reads only the count: such a row keeps the floor up (the safe side) until reset.
    expect(await passwordCheckFloorMs(db)).toBe(pbkdf2TimeFloorMs(1_000_000))
  })
})

describe('a legacy high-iteration hash', () => {
  // The upgrade writes production's parameters.
  productionPasswordCost()

  it('still verifies over HTTP and is upgraded to argon2id on success; then the floor is gone', SLOW, async () => {
    const user = await userWithHash(DJANGO_1M)
    expect(await passwordCheckFloorMs(db)).toBe(pbkdf2TimeFloorMs(1_000_000))

    expect((await passwordGrantWithNewApp(user.username, 'letmein')).status).toBe(400)
    expect(await storedHash(user.id)).toBe(DJANGO_1M)

    const response = await passwordGrantWithNewApp(user.username, 'lètmein')
    expect(response.status).toBe(200)
    const upgraded = await storedHash(user.id)
    expect(upgraded).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword('lètmein', upgraded ?? '')).toBe(true)
    expect(await passwordCheckFloorMs(db)).toBe(0)
  })

  it('the floor follows the slowest stored hash that can verify, and ignores native-speed counts', async () => {
    expect(await passwordCheckFloorMs(db)).toBe(0)
    await userWithHash('pbkdf2_sha256$100000$s$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=')
    expect(await passwordCheckFloorMs(db)).toBe(0)
    await userWithHash('pbkdf2_sha256$600000$s$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=')
    await userWithHash('pbkdf2_sha256$870000$s$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=')
    expect(await passwordCheckFloorMs(db)).toBe(Math.ceil((870_000 * PBKDF2_JS_BUDGET_NS_PER_ITERATION) / 1e6))
  })
})

describe('login timing while a legacy hash is stored', () => {
  // The floor is a timer, injected here (test/time-floor.ts): these check which floor each password
  // check waits for and how it waits, not the wall time. That the floor covers a legacy check's CPU
  // is `npm run bench:passwords` (PBKDF2_JS_BUDGET_NS_PER_ITERATION, with a 1.5× margin).
  it('unknown, argon2id and legacy users: every password check waits for the same floor', SLOW, async () => {
    const argon2User = await makeUser()
    const legacyUser = await userWithHash(DJANGO_1M)
    const floor = await passwordCheckFloorMs(db)
    expect(floor).toBe(pbkdf2TimeFloorMs(1_000_000))
    takeFloors()
    for (const username of ['nobody-by-this-name', argon2User.username, legacyUser.username]) {
      expect((await passwordGrantWithNewApp(username, 'lètmein!')).status).toBe(400)
      expect(takeFloors(), username).toEqual([floor])
    }
  })

  it('the floor is armed before the check and runs beside it: the answer waits for both, not their sum', async () => {
    const events: string[] = []
    let elapse = () => {}
    vi.spyOn(floorTimer, 'wait').mockImplementation((ms) => {
      events.push(`floor ${ms} ms armed`)
      return new Promise((resolve) => {
        elapse = () => {
          events.push('floor elapsed')
          resolve()
        }
      })
    })
    let checked = () => {}
    const checkDone = new Promise<void>((resolve) => {
      checked = resolve
    })
    const answer = withTimeFloor(2_000, async () => {
      events.push('check started')
      checked()
      return 'verified'
    }).then((result) => {
      events.push(`answered ${result}`)
    })
    await checkDone
    await Promise.resolve()
    expect(events).toEqual(['floor 2000 ms armed', 'check started'])
    elapse()
    await answer
    expect(events).toEqual(['floor 2000 ms armed', 'check started', 'floor elapsed', 'answered verified'])
  })

  it('with no legacy hash stored, logins are not padded', async () => {
    expect(await passwordCheckFloorMs(db)).toBe(0)
    takeFloors()
    expect((await passwordGrantWithNewApp('nobody-by-this-name', 'guess')).status).toBe(400)
    expect(takeFloors()).toEqual([])
  })
})
