/**
 * @module
 * Random strings from crypto.getRandomValues, without modulo bias.
 */

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `length` characters drawn uniformly from `alphabet` (≤ 256 characters). */
export function randomString(length: number, alphabet = ALPHANUMERIC): string {
  // Rejection sampling: bytes at or above the largest multiple of the alphabet size would bias it.
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2))
    for (const byte of bytes) {
      if (byte < limit) out += alphabet[byte % alphabet.length]
      if (out.length === length) break
    }
  }
  return out
}
