/**
 * @module
 * Server-provided DPoP nonces (RFC 9449 §8, §9) that need no storage: the nonce of a time window
 * is a MAC of the window's number under a key derived from SECRET_KEY, so every isolate computes
 * the same nonces and checks one with no I/O. A nonce is accepted during its window and the next
 * (between NONCE_PERIOD_SECONDS and twice that after it was handed out); only this server can
 * make one. Each isolate computes a window's nonce once.
 */
import { base64url } from 'jose'
import { timingSafeEqualText } from './digest.ts'
import { utf8 } from './encoding.ts'

/**
 * How long a nonce is the current one; it is accepted for one more period after.
 * @internal Exported for tests: src/crypto/dpop.test.ts checks the periods' edges.
 */
export const NONCE_PERIOD_SECONDS = 300

// Domain separation: tokens' check values and the session cookie use other keys from SECRET_KEY.
const KEY_LABEL = 'edge-oauth-toolkit dpop-nonce-v1'
// 128 bits of the MAC: 22 base64url characters, all NQCHARs (§8.1).
const NONCE_BYTES = 16

type Nonces = { key: Promise<CryptoKey>; byWindow: Map<number, Promise<string>> }

// One entry per SECRET_KEY value (one per deployment).
const bySecret = new Map<string, Nonces>()

async function deriveKey(secretKey: string): Promise<CryptoKey> {
  const hmac = (raw: BufferSource) =>
    crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const derived = await crypto.subtle.sign('HMAC', await hmac(utf8(secretKey)), utf8(KEY_LABEL))
  return hmac(derived)
}

function noncesFor(secretKey: string): Nonces {
  // An empty key would make every nonce computable by anyone.
  if (!secretKey) throw new Error('SECRET_KEY is not set: DPoP nonces can be neither made nor checked')
  let nonces = bySecret.get(secretKey)
  if (!nonces) {
    nonces = { key: deriveKey(secretKey), byWindow: new Map() }
    bySecret.set(secretKey, nonces)
  }
  return nonces
}

function nonceOf(nonces: Nonces, window: number): Promise<string> {
  let nonce = nonces.byWindow.get(window)
  if (!nonce) {
    nonce = (async () => {
      const mac = await crypto.subtle.sign('HMAC', await nonces.key, utf8(`dpop-nonce ${window}`))
      return base64url.encode(new Uint8Array(mac).slice(0, NONCE_BYTES))
    })()
    // Only the current and the previous window are ever asked for.
    for (const kept of nonces.byWindow.keys()) if (kept < window - 1) nonces.byWindow.delete(kept)
    nonces.byWindow.set(window, nonce)
  }
  return nonce
}

const windowAt = (now: number) => Math.floor(now / NONCE_PERIOD_SECONDS)

/** The nonce to hand out now (`DPoP-Nonce`). `now`: Unix seconds. */
export function currentDpopNonce(secretKey: string, now: number): Promise<string> {
  return nonceOf(noncesFor(secretKey), windowAt(now))
}

/** Whether `nonce` is the current window's or the previous one's. */
export async function acceptsDpopNonce(secretKey: string, nonce: string, now: number): Promise<boolean> {
  const nonces = noncesFor(secretKey)
  const window = windowAt(now)
  const [current, previous] = await Promise.all([nonceOf(nonces, window), nonceOf(nonces, window - 1)])
  return timingSafeEqualText(nonce, current) || timingSafeEqualText(nonce, previous)
}
