/**
 * @module
 * DPoP proofs (RFC 9449 §4.2) for the benchmark's load, ES256 as a browser or MCP client signs
 * them: a new one for every request, as a client makes it. Signing one costs the load generator
 * ~0.1 ms of CPU (node:crypto, synchronous) on its own core, a tenth of what the server spends on
 * the request: the generator stays far from its limit, so the row measures the server.
 * (Proofs signed ahead in bulk stalled the generator for seconds inside a measured slice.)
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'

export type DpopSigner = {
  /** The key's RFC 7638 thumbprint: what the seeded token is bound to. */
  jkt: string
  /** A proof never handed out before, of a GET of `url` with `accessToken`. */
  proof: (url: string, accessToken: string) => string
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url')

export async function dpopSigner(): Promise<DpopSigner> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' }) as JWK
  const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk }))
  // The same token and URL on every request of a row: their hash and htu are computed once.
  const athByToken = new Map<string, string>()
  const htuByUrl = new Map<string, string>()
  return {
    jkt: await calculateJwkThumbprint(jwk),
    proof(url, accessToken) {
      let ath = athByToken.get(accessToken)
      if (ath === undefined) {
        ath = createHash('sha256').update(accessToken).digest('base64url')
        athByToken.set(accessToken, ath)
      }
      let htu = htuByUrl.get(url)
      if (htu === undefined) {
        const target = new URL(url)
        htu = target.origin + target.pathname
        htuByUrl.set(url, htu)
      }
      const claims = {
        jti: randomBytes(16).toString('base64url'),
        htm: 'GET',
        htu,
        iat: Math.floor(Date.now() / 1000),
        ath,
      }
      const input = `${header}.${base64url(JSON.stringify(claims))}`
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      return `${input}.${signature.toString('base64url')}`
    },
  }
}
