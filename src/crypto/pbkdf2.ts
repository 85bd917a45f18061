/**
 * @module
 * PBKDF2-HMAC-SHA256 for Django's `pbkdf2_sha256` hashes. Web Crypto computes counts up to
 * the production limit natively; higher counts (Django's own defaults are 600,000 and more)
 * run in pure JS specialised for this one job (below), so nothing ever asks Web Crypto for more.
 *
 * Above the first iteration, every PBKDF2 iteration is HMAC-SHA256 of a 32-byte value: with the
 * key's inner and outer pad states computed once, that is exactly two SHA-256 compressions of one
 * fixed-layout block each (RFC 2104 §2, FIPS 180-4 §6.2). The loop runs on 32-bit words in
 * preallocated typed arrays, no bytes and no allocation per iteration: ~1.7× faster than the
 * generic @noble/hashes pbkdf2 in V8 (`npm run bench:passwords`), which still computes the first
 * iteration (HMAC over the salt) and the SHA-256 of an over-long key.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
// Production Workers refuse Web Crypto PBKDF2 above 100,000 iterations
// ("Pbkdf2 failed: iteration counts above 100000 are not supported"); local workerd accepts more.
export const WEB_CRYPTO_PBKDF2_MAX_ITERATIONS = 100_000

function checkIterations(iterations: number, max: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > max) {
    throw new RangeError(`PBKDF2 iterations must be 1..${max}, got ${iterations}`)
  }
}

/**
 * Web Crypto PBKDF2-HMAC-SHA256, enforcing the production limit in every environment.
 * @internal Exported for tests: tests and bench/passwords.ts compare the two implementations.
 */
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

// Bounds the CPU one login attempt can cost (~1.4 s of CPU here, see the README figures). Django's
// default rises ~20% a release (600,000 in 4.2, 1,000,000 in 5.2, 1,200,000 in 6.0): 2,000,000
// leaves room for a few more releases or a raised setting. A hash above it never verifies
// (that user resets their password); it also caps the login time floor (src/accounts/password-timing.ts).
export const PBKDF2_MAX_ITERATIONS = 2_000_000

export function isSupportedPbkdf2Iterations(iterations: number): boolean {
  return Number.isSafeInteger(iterations) && iterations >= 1 && iterations <= PBKDF2_MAX_ITERATIONS
}

let iterationsDone = 0

/**
 * Iterations `pbkdf2Sha256` ran since the isolate started (as argon2WorkDone for argon2): tests
 * read it to prove that a path did or did not check a PBKDF2 hash, without timing it.
 * @internal Exported for tests: test/hardening/client-secret-cost.test.ts.
 */
export function pbkdf2WorkDone(): number {
  return iterationsDone
}

/** PBKDF2-HMAC-SHA256 at any supported count: Web Crypto up to its limit, pure JS (synchronous: same CPU, less overhead) above it. */
export async function pbkdf2Sha256(
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  keyBytes: number,
): Promise<Uint8Array> {
  checkIterations(iterations, PBKDF2_MAX_ITERATIONS)
  iterationsDone += iterations
  if (iterations <= WEB_CRYPTO_PBKDF2_MAX_ITERATIONS) return webCryptoPbkdf2Sha256(password, salt, iterations, keyBytes)
  return pbkdf2HmacSha256(password, salt, iterations, keyBytes)
}

// SHA-256 round constants and initial hash value, FIPS 180-4 §4.2.2 and §5.3.3.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

// The message schedule, shared: the code below is synchronous, so no two hashes interleave.
const W = new Int32Array(64)

/** One SHA-256 compression: `out` = `state` compressed with the 16 words in W[0..15]. */
function compress(state: Int32Array, out: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]
    const w2 = W[t - 2]
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
    W[t] = (s1 + W[t - 7] + s0 + W[t - 16]) | 0
  }
  let a = state[0]
  let b = state[1]
  let c = state[2]
  let d = state[3]
  let e = state[4]
  let f = state[5]
  let g = state[6]
  let h = state[7]
  // Eight rounds per pass, the working variables renamed instead of shifted (~10% faster in V8).
  for (let t = 0; t < 64; t += 8) {
    {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t + 0] + W[t + 0]) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      d = (d + t1) | 0
      h = (t1 + S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    }
    {
      const S1 = ((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))
      const t1 = (g + S1 + ((d & e) ^ (~d & f)) + K[t + 1] + W[t + 1]) | 0
      const S0 = ((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))
      c = (c + t1) | 0
      g = (t1 + S0 + ((h & a) ^ (h & b) ^ (a & b))) | 0
    }
    {
      const S1 = ((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))
      const t1 = (f + S1 + ((c & d) ^ (~c & e)) + K[t + 2] + W[t + 2]) | 0
      const S0 = ((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))
      b = (b + t1) | 0
      f = (t1 + S0 + ((g & h) ^ (g & a) ^ (h & a))) | 0
    }
    {
      const S1 = ((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))
      const t1 = (e + S1 + ((b & c) ^ (~b & d)) + K[t + 3] + W[t + 3]) | 0
      const S0 = ((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))
      a = (a + t1) | 0
      e = (t1 + S0 + ((f & g) ^ (f & h) ^ (g & h))) | 0
    }
    {
      const S1 = ((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))
      const t1 = (d + S1 + ((a & b) ^ (~a & c)) + K[t + 4] + W[t + 4]) | 0
      const S0 = ((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))
      h = (h + t1) | 0
      d = (t1 + S0 + ((e & f) ^ (e & g) ^ (f & g))) | 0
    }
    {
      const S1 = ((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))
      const t1 = (c + S1 + ((h & a) ^ (~h & b)) + K[t + 5] + W[t + 5]) | 0
      const S0 = ((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))
      g = (g + t1) | 0
      c = (t1 + S0 + ((d & e) ^ (d & f) ^ (e & f))) | 0
    }
    {
      const S1 = ((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))
      const t1 = (b + S1 + ((g & h) ^ (~g & a)) + K[t + 6] + W[t + 6]) | 0
      const S0 = ((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))
      f = (f + t1) | 0
      b = (t1 + S0 + ((c & d) ^ (c & e) ^ (d & e))) | 0
    }
    {
      const S1 = ((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))
      const t1 = (a + S1 + ((f & g) ^ (~f & h)) + K[t + 7] + W[t + 7]) | 0
      const S0 = ((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))
      e = (e + t1) | 0
      a = (t1 + S0 + ((b & c) ^ (b & d) ^ (c & d))) | 0
    }
  }
  out[0] = (state[0] + a) | 0
  out[1] = (state[1] + b) | 0
  out[2] = (state[2] + c) | 0
  out[3] = (state[3] + d) | 0
  out[4] = (state[4] + e) | 0
  out[5] = (state[5] + f) | 0
  out[6] = (state[6] + g) | 0
  out[7] = (state[7] + h) | 0
}

/** SHA-256 state after compressing one block: the 64-byte HMAC key XOR `pad` (RFC 2104 §2). */
function padState(key: Uint8Array, pad: number): Int32Array {
  for (let i = 0; i < 16; i++) {
    let word = 0
    for (let j = 0; j < 4; j++) word = (word << 8) | ((key[i * 4 + j] ?? 0) ^ pad)
    W[i] = word
  }
  const state = new Int32Array(8)
  compress(IV, state)
  return state
}

/** W[0..15] = the 32-byte value in `u`, padded as the second block of a 96-byte message (FIPS 180-4 §5.1.1). */
function loadDigestBlock(u: Int32Array): void {
  for (let i = 0; i < 8; i++) W[i] = u[i]
  W[8] = 0x80000000 | 0
  W[9] = W[10] = W[11] = W[12] = W[13] = W[14] = 0
  W[15] = (64 + 32) * 8
}

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) in pure JS, synchronous, at any count: checked against
 * RFC 7914 §11 and Django's vectors (test/hardening/legacy-passwords.test.ts).
 * @internal Exported for tests: tests check it against RFC 7914's vectors and Web Crypto.
 */
export function pbkdf2HmacSha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keyBytes: number,
): Uint8Array {
  checkIterations(iterations, Number.MAX_SAFE_INTEGER)
  if (!Number.isSafeInteger(keyBytes) || keyBytes < 1 || keyBytes > 1024) {
    throw new RangeError(`PBKDF2 key length must be 1..1024 bytes, got ${keyBytes}`)
  }
  const key = password.length > 64 ? sha256(password) : password
  const inner = padState(key, 0x36)
  const outer = padState(key, 0x5c)
  const saltAndIndex = new Uint8Array(salt.length + 4)
  saltAndIndex.set(salt)
  const u = new Int32Array(8)
  const t = new Int32Array(8)
  const out = new Uint8Array(keyBytes)
  for (let block = 1; (block - 1) * 32 < keyBytes; block++) {
    new DataView(saltAndIndex.buffer).setUint32(salt.length, block)
    const first = new DataView(hmac(sha256, password, saltAndIndex).buffer)
    for (let i = 0; i < 8; i++) t[i] = u[i] = first.getInt32(i * 4)
    for (let n = 1; n < iterations; n++) {
      loadDigestBlock(u)
      compress(inner, u)
      loadDigestBlock(u)
      compress(outer, u)
      for (let i = 0; i < 8; i++) t[i] ^= u[i]
    }
    const bytes = new Uint8Array(32)
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < 8; i++) view.setInt32(i * 4, t[i])
    out.set(bytes.subarray(0, Math.min(32, keyBytes - (block - 1) * 32)), (block - 1) * 32)
  }
  return out
}
