/**
 * DPoP proofs and nonces without HTTP (RFC 9449 §4.3, §8): the thumbprint a proof yields, the
 * iat window and when its jti may be forgotten, and the nonces' windows, at given clocks.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { PROOF_WINDOW_SECONDS, verifyDpopProof } from './dpop.ts'
import { acceptsDpopNonce, currentDpopNonce, NONCE_PERIOD_SECONDS } from './dpop-nonce.ts'

const URL = 'https://as.example/o/token/'
const NOW = 1_800_000_000

async function signed(alg: string, claims: Record<string, unknown> = {}) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  const proof = await new SignJWT({ jti: 'a-jti', htm: 'POST', htu: URL, iat: NOW, ...claims })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
    .sign(privateKey)
  return { proof, jkt: await calculateJwkThumbprint(jwk) }
}

describe('verifyDpopProof', () => {
  it('§6.1: yields the RFC 7638 thumbprint of the key in the header (as jose computes it), for every key type', async () => {
    for (const alg of ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256']) {
      const { proof, jkt } = await signed(alg)
      expect((await verifyDpopProof(proof, { method: 'POST', url: URL, now: NOW })).jkt, alg).toBe(jkt)
    }
  })

  it(`§4.3 (11): iat within ${PROOF_WINDOW_SECONDS} s either way; the jti is remembered until the proof would be refused`, async () => {
    const { proof } = await signed('ES256')
    const check = (now: number) => verifyDpopProof(proof, { method: 'POST', url: URL, now })
    expect((await check(NOW)).refusedFrom).toBe(NOW + PROOF_WINDOW_SECONDS + 1)
    await expect(check(NOW + PROOF_WINDOW_SECONDS)).resolves.toBeTruthy()
    await expect(check(NOW - PROOF_WINDOW_SECONDS)).resolves.toBeTruthy()
    await expect(check(NOW + PROOF_WINDOW_SECONDS + 1)).rejects.toThrow(/iat/)
    await expect(check(NOW - PROOF_WINDOW_SECONDS - 1)).rejects.toThrow(/iat/)
  })

  it('§4.3 (9): htu compared without query and fragment, after URL normalisation', async () => {
    const { proof } = await signed('ES256', { htu: 'https://AS.example:443/o/token/' })
    await expect(verifyDpopProof(proof, { method: 'POST', url: `${URL}?x=1#y`, now: NOW })).resolves.toBeTruthy()
    await expect(
      verifyDpopProof(proof, { method: 'POST', url: 'https://as.example/o/token', now: NOW }),
    ).rejects.toThrow(/htu/)
  })
})

describe('DPoP nonces', () => {
  const SECRET = 'a secret key for the nonce tests'

  it('§8: the current period’s nonce and the previous one’s are accepted; older ones and other keys’ are not', async () => {
    const now = NOW
    const current = await currentDpopNonce(SECRET, now)
    const previous = await currentDpopNonce(SECRET, now - NONCE_PERIOD_SECONDS)
    const older = await currentDpopNonce(SECRET, now - 2 * NONCE_PERIOD_SECONDS)
    expect(new Set([current, previous, older]).size).toBe(3)
    expect(await acceptsDpopNonce(SECRET, current, now)).toBe(true)
    expect(await acceptsDpopNonce(SECRET, previous, now)).toBe(true)
    expect(await acceptsDpopNonce(SECRET, older, now)).toBe(false)
    expect(await acceptsDpopNonce('another secret key', current, now)).toBe(false)
    expect(current).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  it('every isolate computes the same nonce for a period (no storage)', async () => {
    expect(await currentDpopNonce(SECRET, NOW)).toBe(await currentDpopNonce(SECRET, NOW + 1))
  })
})
