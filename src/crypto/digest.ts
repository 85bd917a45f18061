/**
 * @module
 * SHA-256 digests of high-entropy secrets (tokens, client secrets, API keys) and
 * constant-time comparison. A fast digest is right for these: they are random, so
 * there is nothing to brute-force; passwords go through src/crypto/passwords.ts instead.
 */
import { toHex, utf8 } from './encoding.ts'

export async function sha256Hex(value: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(value))))
}

/**
 * Equal-length inputs are compared by workerd's constant-time primitive. Lengths are not
 * secret here: both sides are digests or derived keys of a fixed size.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  const subtle = crypto.subtle as Partial<Pick<SubtleCrypto, 'timingSafeEqual'>>
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(a, b)
  // Node (the CLI, the password benchmark) has no such primitive: a branch-free fold.
  let difference = 0
  for (let i = 0; i < a.byteLength; i++) difference |= a[i] ^ b[i]
  return difference === 0
}

export function timingSafeEqualText(a: string, b: string): boolean {
  return timingSafeEqual(utf8(a), utf8(b))
}
