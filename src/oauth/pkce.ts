/**
 * @module
 * Proof Key for Code Exchange (RFC 7636).
 */
import { base64url } from 'jose'
import { timingSafeEqualText } from '../crypto/digest.ts'
import { utf8 } from '../crypto/encoding.ts'

// RFC 7636 §4.1: code-verifier = 43*128unreserved; §4.2: the S256 challenge has the same alphabet.
export const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/

export const PKCE_METHODS = ['S256', 'plain'] as const
export type PkceMethod = (typeof PKCE_METHODS)[number]

/** RFC 7636 §4.6: does the verifier match the challenge stored with the code? */
export async function verifyCodeVerifier(verifier: string, challenge: string, method: string): Promise<boolean> {
  if (!PKCE_VALUE.test(verifier)) return false
  if (method === 'plain') return timingSafeEqualText(verifier, challenge)
  if (method !== 'S256') return false
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(verifier)))
  return timingSafeEqualText(base64url.encode(digest), challenge)
}
