/**
 * @module
 * PBKDF2-HMAC-SHA256 for Django's `pbkdf2_sha256` hashes. Web Crypto computes counts up to
 * the production limit natively; higher counts (Django's own defaults are 600,000 and more)
 * run in audited pure JS (@noble/hashes), so nothing ever asks Web Crypto for more.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js'
import { sha256 } from '@noble/hashes/sha2.js'

// Production Workers refuse Web Crypto PBKDF2 above 100,000 iterations
// ("Pbkdf2 failed: iteration counts above 100000 are not supported"); local workerd accepts more.
export const WEB_CRYPTO_PBKDF2_MAX_ITERATIONS = 100_000

function checkIterations(iterations: number, max: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > max) {
    throw new RangeError(`PBKDF2 iterations must be 1..${max}, got ${iterations}`)
  }
}

/** Web Crypto PBKDF2-HMAC-SHA256, enforcing the production limit in every environment. */
export async function webCryptoPbkdf2Sha256(
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  keyBytes: number,
): Promise<Uint8Array> {
  checkIterations(iterations, WEB_CRYPTO_PBKDF2_MAX_ITERATIONS)
  const key = await crypto.subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, keyBytes * 8)
  return new Uint8Array(bits)
}

// Far above any real Django setting (1,200,000 in Django 6.0); bounds the CPU a stored hash can demand.
export const PBKDF2_MAX_ITERATIONS = 10_000_000

export function isSupportedPbkdf2Iterations(iterations: number): boolean {
  return Number.isSafeInteger(iterations) && iterations >= 1 && iterations <= PBKDF2_MAX_ITERATIONS
}

/** PBKDF2-HMAC-SHA256 at any count: Web Crypto up to its limit, pure JS (synchronous: same CPU, less overhead) above it. */
export async function pbkdf2Sha256(
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  keyBytes: number,
): Promise<Uint8Array> {
  checkIterations(iterations, PBKDF2_MAX_ITERATIONS)
  if (iterations <= WEB_CRYPTO_PBKDF2_MAX_ITERATIONS) return webCryptoPbkdf2Sha256(password, salt, iterations, keyBytes)
  return pbkdf2(sha256, password, salt, { c: iterations, dkLen: keyBytes })
}
