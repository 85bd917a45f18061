/**
 * L-4: the argon2 parameters a stored (imported) hash carries cannot buy seconds of CPU, and do not
 * single their owner out by time. A hash dearer than ARGON2_MAX_COST (KiB × passes) never verifies
 * and costs what an unknown user's check costs; one dearer than ours but within the cap raises the
 * login time floor, so every password check (unknown user, ordinary user, that user) is padded to
 * at least that hash's check. The floor is asserted as requested (floorTimer), never timed.
 */
import { eq, inArray } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { floorTimer, OWN_ARGON2_PREFIX, passwordCheckFloorMs } from '../../src/accounts/password-timing.ts'
import { ARGON2_MAX_COST, type Argon2Params, argon2Hash, argon2WorkDone } from '../../src/crypto/argon2.ts'
import { toBase64Unpadded, utf8 } from '../../src/crypto/encoding.ts'
import {
  ARGON2_PARAMS,
  argon2TimeFloorMs,
  hashPassword,
  isVerifiablePasswordHash,
  pbkdf2TimeFloorMs,
  verifyPassword,
} from '../../src/crypto/passwords.ts'
import { users } from '../../src/db/schema.ts'
import { db, makeUser, passwordGrantWithNewApp, productionPasswordCost } from '../helpers.ts'

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA' // 16 bytes, unpadded base64
const HASH = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8' // 32 bytes: matches no password
const OURS = ARGON2_PARAMS.memoryKiB * ARGON2_PARAMS.iterations
const SLOW = { timeout: 60_000 }

/** A Django argon2id hash string at these parameters (the hash bytes match no password). */
function argon2At(memoryKiB: number, iterations: number, parallelism = 1): string {
  return `argon2$argon2id$v=19$m=${memoryKiB},t=${iterations},p=${parallelism}$${SALT}$${HASH}`
}

/** A real hash of `password` at these parameters, as Django's Argon2PasswordHasher encodes it. */
async function realArgon2(password: string, params: Argon2Params): Promise<string> {
  const salt = utf8('somesaltsomesalt')
  const hash = await argon2Hash(utf8(password), salt, params, 32)
  const { type, version, memoryKiB, iterations, parallelism } = params
  return `argon2$${type}$v=${version}$m=${memoryKiB},t=${iterations},p=${parallelism}$${toBase64Unpadded(salt)}$${toBase64Unpadded(hash)}`
}

const created: number[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  // Such rows raise the floor for every login: none outlives its test.
  if (created.length) await db.delete(users).where(inArray(users.id, created.splice(0)))
})

async function userWithHash(encoded: string) {
  const user = await makeUser()
  created.push(user.id)
  await db.update(users).set({ password: encoded }).where(eq(users.id, user.id))
  return user
}

async function workOf(run: () => Promise<unknown>): Promise<number> {
  const before = argon2WorkDone()
  await run()
  return argon2WorkDone() - before
}

describe('the argon2 cost cap', () => {
  // What a check costs is the subject here: hashes at production's parameters, not the tests' minimum.
  productionPasswordCost()
  it('a stored hash above ARGON2_MAX_COST is not verifiable; at the cap it is', () => {
    expect(ARGON2_MAX_COST).toBe(65_536 * 3)
    expect(isVerifiablePasswordHash(argon2At(65_536, 3))).toBe(true)
    expect(isVerifiablePasswordHash(argon2At(65_536, 4))).toBe(false)
    expect(isVerifiablePasswordHash(argon2At(65_536, 16, 16))).toBe(false)
    expect(isVerifiablePasswordHash(argon2At(16_384, 16))).toBe(false)
  })

  it('checking a password against a hash above the cap costs one argon2 hash at our parameters, not its own', async () => {
    await verifyPassword('prime the dummy', '!unusable')
    expect(await workOf(() => verifyPassword('guess', argon2At(65_536, 16, 16)))).toBe(OURS)
    const user = await userWithHash(argon2At(65_536, 16, 16))
    const cost = await workOf(async () =>
      expect((await passwordGrantWithNewApp(user.username, 'guess')).status).toBe(400),
    )
    expect(cost).toBe(OURS)
  })

  it('the hashes this project writes are the ones users_argon2_cost_idx leaves out', async () => {
    expect((await hashPassword('anything')).startsWith(OWN_ARGON2_PREFIX)).toBe(true)
  })

  it('a real hash at the cap still verifies', SLOW, async () => {
    const params: Argon2Params = { type: 'argon2id', version: 19, memoryKiB: 65_536, iterations: 3, parallelism: 4 }
    const encoded = await realArgon2('lètmein', params)
    expect(await verifyPassword('lètmein', encoded)).toBe(true)
    expect(await verifyPassword('letmein', encoded)).toBe(false)
  })
})

describe('argon2 in the login time floor', () => {
  const requested: number[] = []
  beforeEach(() => {
    requested.length = 0
    vi.spyOn(floorTimer, 'wait').mockImplementation(async (ms) => {
      requested.push(ms)
    })
  })

  it('no floor while every argon2 hash costs what ours does (or less)', async () => {
    await userWithHash(argon2At(4_096, 3))
    expect(await passwordCheckFloorMs(db)).toBe(0)
  })

  it('a stored hash dearer than ours raises the floor to its budget; one above the cap (never checked) does not', async () => {
    await userWithHash(argon2At(65_536, 16, 16))
    expect(await passwordCheckFloorMs(db)).toBe(0)
    await userWithHash(argon2At(32_768, 2))
    expect(await passwordCheckFloorMs(db)).toBe(argon2TimeFloorMs(65_536))
    await userWithHash(argon2At(65_536, 3))
    expect(await passwordCheckFloorMs(db)).toBe(argon2TimeFloorMs(ARGON2_MAX_COST))
    expect(argon2TimeFloorMs(ARGON2_MAX_COST)).toBeGreaterThan(0)
    expect(argon2TimeFloorMs(OURS)).toBe(0)
  })

  it('every password check is padded to it: unknown user, ordinary user, the user with the dear hash', async () => {
    const dear = await userWithHash(argon2At(65_536, 3))
    const ordinary = await makeUser()
    const floor = argon2TimeFloorMs(ARGON2_MAX_COST)
    for (const username of ['nobody-by-this-name', ordinary.username, dear.username]) {
      expect((await passwordGrantWithNewApp(username, 'guess')).status).toBe(400)
    }
    expect(requested).toEqual([floor, floor, floor])
  })

  it('the larger of the PBKDF2 and argon2 floors wins', async () => {
    await userWithHash(argon2At(65_536, 3))
    await userWithHash('pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=')
    expect(await passwordCheckFloorMs(db)).toBe(
      Math.max(pbkdf2TimeFloorMs(1_000_000), argon2TimeFloorMs(ARGON2_MAX_COST)),
    )
  })
})
