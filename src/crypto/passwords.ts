/**
 * @module
 * Password hashing in Django's encoded format, so hashes move between Django and this
 * project: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`.
 * Every caller goes through `hashPassword` / `verifyPassword`, so a stronger algorithm
 * can replace this one behind the same two functions.
 */
import { timingSafeEqual } from './digest.ts'
import { fromBase64, toBase64, utf8 } from './encoding.ts'
import { randomString } from './random.ts'

// Production Workers refuse Web Crypto PBKDF2 above 100,000 iterations
// ("iteration counts above 100000 are not supported"); local workerd accepts more.
export const WEB_CRYPTO_PBKDF2_MAX_ITERATIONS = 100_000

const ALGORITHM = 'pbkdf2_sha256'
const ITERATIONS = WEB_CRYPTO_PBKDF2_MAX_ITERATIONS
const SALT_LENGTH = 22 // Django's get_random_string(22): ~131 bits
const KEY_BYTES = 32

/** PBKDF2-HMAC-SHA256 that enforces the production limit in every environment. */
export async function pbkdf2Sha256(password: string, salt: string, iterations: number): Promise<Uint8Array> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > WEB_CRYPTO_PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be 1..${WEB_CRYPTO_PBKDF2_MAX_ITERATIONS}, got ${iterations}`)
  }
  const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(salt), iterations },
    key,
    KEY_BYTES * 8,
  )
  return new Uint8Array(bits)
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomString(SALT_LENGTH)
  const hash = await pbkdf2Sha256(password, salt, ITERATIONS)
  return `${ALGORITHM}$${ITERATIONS}$${salt}$${toBase64(hash)}`
}

type Decoded = { iterations: number; salt: string; hash: Uint8Array }

function decode(encoded: string): Decoded | null {
  const parts = encoded.split('$')
  if (parts.length !== 4 || parts[0] !== ALGORITHM) return null
  const iterations = Number(parts[1])
  if (!Number.isInteger(iterations) || iterations > WEB_CRYPTO_PBKDF2_MAX_ITERATIONS) return null
  try {
    return { iterations, salt: parts[2], hash: fromBase64(parts[3]) }
  } catch {
    return null
  }
}

/** Constant-time check of `password` against an encoded hash; unusable hashes never match. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const decoded = decode(encoded)
  if (!decoded) {
    // Same work as a real check, so an unusable hash does not answer faster.
    await pbkdf2Sha256(password, 'unusable', ITERATIONS)
    return false
  }
  const candidate = await pbkdf2Sha256(password, decoded.salt, decoded.iterations)
  return timingSafeEqual(candidate, decoded.hash)
}

let dummyHash: Promise<string> | undefined

/**
 * Burns the time of one verification for a username that does not exist, so response
 * time does not reveal which usernames are registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomString(SALT_LENGTH))
  await verifyPassword(password, await dummyHash)
  return false
}
