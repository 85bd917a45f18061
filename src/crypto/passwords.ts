/**
 * @module
 * Password hashing in Django's encoded formats, so hashes move between Django and this
 * project both ways. New hashes are Django's Argon2PasswordHasher format at the OWASP
 * minimum for argon2id (m=19 MiB, t=2, p=1):
 * `argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded base64, as argon2-cffi).
 * Verification also accepts argon2i/argon2d up to ARGON2_MAX_COST and Django's
 * `pbkdf2_sha256$<iterations>$<salt>$<hash>` up to PBKDF2_MAX_ITERATIONS; `passwordMustUpdate` says
 * when a stored hash should be replaced after a successful login (Django's `must_update`). Every
 * caller goes through these functions.
 *
 * A PBKDF2 hash cannot be made cheaper to check without the password: any value derived from it
 * offline (an argon2id "wrap" of its output, say) still needs the full PBKDF2 of the typed password
 * at every login. So a legacy hash is replaced only at its next successful login, and until then
 * `pbkdf2TimeFloorMs` (and `argon2TimeFloorMs`, for an imported argon2 hash dearer than ours) gives
 * the wall time every password check is padded to, so a legacy user's slower check does not reveal them.
 */
import { ARGON2_MAX_COST, type Argon2Params, argon2Cost, argon2Hash, isSupportedArgon2 } from './argon2.ts'
import { timingSafeEqual } from './digest.ts'
import { fromBase64, fromBase64Unpadded, toBase64Unpadded, utf8 } from './encoding.ts'
import { isSupportedPbkdf2Iterations, pbkdf2Sha256, WEB_CRYPTO_PBKDF2_MAX_ITERATIONS } from './pbkdf2.ts'
import { randomString } from './random.ts'

// OWASP Password Storage Cheat Sheet, argon2id minimum: m=19 MiB, t=2, p=1.
export const ARGON2_PARAMS: Argon2Params = {
  type: 'argon2id',
  version: 19,
  memoryKiB: 19_456,
  iterations: 2,
  parallelism: 1,
}
// The cheapest parameters a stored argon2id hash may have (RFC 9106: m >= 8p KiB, t >= 1): new
// hashes in the test suites only (`useMinimumPasswordHashCost`), as Django's testing docs advise a
// fast hasher (MD5PasswordHasher) for tests. Still Django's format, verifiable by Django.
const MINIMUM_ARGON2_PARAMS: Argon2Params = {
  type: 'argon2id',
  version: 19,
  memoryKiB: 8,
  iterations: 1,
  parallelism: 1,
}
// What new hashes are made with, and what a stored hash must match not to need updating:
// ARGON2_PARAMS, unless a test suite lowered it.
let preferred = ARGON2_PARAMS

/**
 * Tests only: `true` makes new hashes (and the dummy) at MINIMUM_ARGON2_PARAMS, `false` restores
 * ARGON2_PARAMS. test/setup.ts calls it when vitest.config.ts binds TEST_PASSWORD_HASH_COST, as
 * Django's test settings name a fast hasher. Nothing the Worker runs calls it — no setting,
 * binding or request reaches it — so the deployed bundle leaves it out (`npm run bundle` checks).
 * @internal
 */
export function useMinimumPasswordHashCost(on: boolean): void {
  preferred = on ? MINIMUM_ARGON2_PARAMS : ARGON2_PARAMS
  dummy = undefined
}
const HASH_BYTES = 32 // Django's Argon2PasswordHasher hash_len
const SALT_LENGTH = 22 // Django's get_random_string(22): ~131 bits
// Django's must_update_salt: a salt under 128 bits of entropy (in its 62-character alphabet) is renewed.
const MIN_SALT_CHARS = Math.ceil(128 / Math.log2(62))
const PBKDF2_KEY_BYTES = 32

type Decoded = {
  derive: (password: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>
  hash: Uint8Array
  /** False when Django's must_update would say the hash needs replacing. */
  current: boolean
}

function encodeArgon2(params: Argon2Params, salt: Uint8Array, hash: Uint8Array): string {
  const { type, version, memoryKiB, iterations, parallelism } = params
  return `argon2$${type}$v=${version}$m=${memoryKiB},t=${iterations},p=${parallelism}$${toBase64Unpadded(salt)}$${toBase64Unpadded(hash)}`
}

const ARGON2_FORMAT = /^argon2\$(argon2id|argon2i|argon2d)\$(?:v=(16|19)\$)?m=(\d+),t=(\d+),p=(\d+)\$([^$]*)\$([^$]+)$/

function decodeArgon2(encoded: string): Decoded | null {
  const match = ARGON2_FORMAT.exec(encoded)
  if (!match) return null
  const [, type, version, memory, iterations, parallelism, saltText, hashText] = match
  const params: Argon2Params = {
    type: type as Argon2Params['type'],
    // Hashes from before argon2 1.3 carry no version field.
    version: version === '19' ? 19 : 16,
    memoryKiB: Number(memory),
    iterations: Number(iterations),
    parallelism: Number(parallelism),
  }
  if (!isSupportedArgon2(params)) return null
  try {
    const salt = fromBase64Unpadded(saltText)
    const hash = fromBase64Unpadded(hashText)
    if (hash.length < 4) return null
    const current =
      params.type === preferred.type &&
      params.version === preferred.version &&
      params.memoryKiB === preferred.memoryKiB &&
      params.iterations === preferred.iterations &&
      params.parallelism === preferred.parallelism &&
      hash.length === HASH_BYTES &&
      saltText.length >= MIN_SALT_CHARS
    return { derive: (password) => argon2Hash(password, salt, params, hash.length), hash, current }
  } catch {
    return null
  }
}

// CPU one pure-JS PBKDF2 iteration may take: ~3× the ~600 ns `npm run bench:passwords` measures on
// the 2-core dev machine (the bench fails under a 1.5× margin), since a Worker's core is shared and
// may be slower. The login time floor's unit: 2 s of wall time per check for a 1,000,000 hash.
/** @internal Exported for tests: the legacy-password test and bench/passwords.ts check the floor's budget. */
export const PBKDF2_JS_BUDGET_NS_PER_ITERATION = 2_000

/**
 * The wall time a password check is padded to while a stored Django PBKDF2 hash of `maxIterations`
 * exists: at least the pure-JS verification of that hash. 0 for counts within Web Crypto's limit
 * (native, cheaper than the one argon2id hash every check costs) or beyond what ever verifies.
 */
export function pbkdf2TimeFloorMs(maxIterations: number): number {
  if (!isSupportedPbkdf2Iterations(maxIterations) || maxIterations <= WEB_CRYPTO_PBKDF2_MAX_ITERATIONS) return 0
  return Math.ceil((maxIterations * PBKDF2_JS_BUDGET_NS_PER_ITERATION) / 1e6)
}

// CPU one KiB × pass of argon2 may take: ~3× the 0.8–1.2 µs `npm run bench:passwords` measures at
// ARGON2_MAX_COST on the 2-core dev machine (a throwaway WASM instance included; the bench fails
// under a 1.5× margin). ~590 ms of wall time for a hash at the cap.
/** @internal Exported for the benchmark: bench/passwords.ts checks the budget against a measurement. */
export const ARGON2_BUDGET_NS_PER_KIB_PASS = 3_000

/**
 * The wall time a password check is padded to while a stored argon2 hash of cost `maxCost`
 * (KiB × passes) exists: at least its verification. 0 for our own cost or less (every check,
 * an unknown user's included, costs one hash at ARGON2_PARAMS) and above ARGON2_MAX_COST (never
 * verified).
 */
export function argon2TimeFloorMs(maxCost: number): number {
  if (maxCost <= argon2Cost(ARGON2_PARAMS) || maxCost > ARGON2_MAX_COST) return 0
  return Math.ceil((maxCost * ARGON2_BUDGET_NS_PER_KIB_PASS) / 1e6)
}

const PBKDF2_FORMAT = /^pbkdf2_sha256\$(\d{1,9})\$([^$]*)\$([A-Za-z0-9+/]+={0,2})$/

function decodePbkdf2(encoded: string): Decoded | null {
  const match = PBKDF2_FORMAT.exec(encoded)
  if (!match) return null
  const [, iterationsText, salt, hashText] = match
  const iterations = Number(iterationsText)
  if (!isSupportedPbkdf2Iterations(iterations)) return null
  try {
    const hash = fromBase64(hashText)
    return {
      derive: (password) => pbkdf2Sha256(password, utf8(salt), iterations, PBKDF2_KEY_BYTES),
      hash,
      // Not the preferred hasher: Django's check_password rehashes it on success.
      current: false,
    }
  } catch {
    return null
  }
}

function decode(encoded: string): Decoded | null {
  if (encoded.startsWith('argon2$')) return decodeArgon2(encoded)
  if (encoded.startsWith('pbkdf2_sha256$')) return decodePbkdf2(encoded)
  return null
}

export async function hashPassword(password: string): Promise<string> {
  const salt = utf8(randomString(SALT_LENGTH))
  const hash = await argon2Hash(utf8(password), salt, preferred, HASH_BYTES)
  return encodeArgon2(preferred, salt, hash)
}

/**
 * Constant-time check of `password` against an encoded hash. Unusable or unknown hashes
 * (Django's `!…`) never match, after the same work as a real check.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const decoded = decode(encoded)
  if (!decoded) return verifyAgainstDummy(password)
  const candidate = await decoded.derive(utf8(password))
  return timingSafeEqual(candidate, decoded.hash)
}

/** Whether `encoded` is a hash in a format and at parameters this module verifies (else it never matches). */
export function isVerifiablePasswordHash(encoded: string): boolean {
  return decode(encoded) !== null
}

/** Django's must_update: a verified hash in an older algorithm or weaker parameters. */
export function passwordMustUpdate(encoded: string): boolean {
  const decoded = decode(encoded)
  return decoded !== null && !decoded.current
}

let dummy: Promise<Decoded> | undefined

/**
 * Burns the time of one verification for a username that does not exist, so response
 * time does not reveal which usernames are registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomString(SALT_LENGTH)).then(
    (encoded) => decode(encoded) as Decoded,
    (error) => {
      dummy = undefined // a failed start is retried by the next call, not remembered
      throw error
    },
  )
  const decoded = await dummy
  timingSafeEqual(await decoded.derive(utf8(password)), decoded.hash)
  return false
}
