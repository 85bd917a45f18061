/**
 * @module
 * DPoP proofs (RFC 9449 §4.2) for the benchmark's load, ES256 as a browser or MCP client signs
 * them. Signing one on the load generator's core costs about as much as the server's whole
 * request, so signing them while the load runs would measure the generator: a row's proofs are
 * signed before it, on its first request (in the warm-up), PROOFS_PER_ROW of them, each with its
 * own jti and an iat PROOF_IAT_AHEAD_SECONDS ahead, so every one is accepted for the next
 * 90 seconds (the server takes iat within 60 s either way), longer than a row runs.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'

export type DpopSigner = {
  /** The key's RFC 7638 thumbprint: what the seeded token is bound to. */
  jkt: string
  /** A proof never handed out before, of a GET of `url` with `accessToken`. */
  proof: (url: string, accessToken: string) => string
}

/** More than a row sends: its warm-up, 6 slices at ~1,000 req/s, the traced request. */
const PROOFS_PER_ROW = 30_000
const PROOF_IAT_AHEAD_SECONDS = 30

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url')

export async function dpopSigner(): Promise<DpopSigner> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' }) as JWK
  const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk }))
  const hashes = new Map<string, string>()
  const ath = (token: string) => {
    let hash = hashes.get(token)
    if (!hash) {
      hash = createHash('sha256').update(token).digest('base64url')
      hashes.set(token, hash)
    }
    return hash
  }
  const sign1 = (url: string, accessToken: string, iat: number) => {
    const target = new URL(url)
    const claims = {
      jti: randomBytes(16).toString('base64url'),
      htm: 'GET',
      htu: target.origin + target.pathname,
      iat,
      ath: ath(accessToken),
    }
    const input = `${header}.${base64url(JSON.stringify(claims))}`
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
    return `${input}.${signature.toString('base64url')}`
  }
  // Proofs signed ahead, by URL and token (a restarted Worker may listen on another port).
  const pools = new Map<string, { proofs: string[]; signedAt: number }>()
  return {
    jkt: await calculateJwkThumbprint(jwk),
    proof(url, accessToken) {
      const id = `${url} ${accessToken}`
      const now = Math.floor(Date.now() / 1000)
      let pool = pools.get(id)
      // A new row (or a stale pool): sign its proofs now, before its measured slices.
      if (!pool || pool.proofs.length === 0 || now - pool.signedAt > PROOF_IAT_AHEAD_SECONDS + 30) {
        const iat = now + PROOF_IAT_AHEAD_SECONDS
        pool = { proofs: Array.from({ length: PROOFS_PER_ROW }, () => sign1(url, accessToken, iat)), signedAt: now }
        pools.set(id, pool)
      }
      return pool.proofs.pop() as string
    },
  }
}
