/**
 * DPoP (RFC 9449) for tests: a client's key and the proofs it signs, made with jose as a client
 * would, with every part overridable so a test can break exactly one rule.
 */
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { DPOP_ALGORITHMS } from '../src/crypto/dpop.ts'

export const ALGS = DPOP_ALGORITHMS.join(' ')

/** The resource API's bare DPoP challenge (RFC 9449 §7.1), as every 401 of /api/* lists it. */
export const API_DPOP_CHALLENGE = `DPoP realm="api", algs="${ALGS}", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"`

export type DpopKey = { alg: string; privateKey: CryptoKey; jwk: JWK; jkt: string }

/** A fresh key pair for DPoP proofs; `jkt` is its RFC 7638 thumbprint. */
export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) }
}

export type ProofOptions = {
  method?: string
  /** Claims to add or replace; `undefined` drops one. */
  claims?: Record<string, unknown>
  /** Header parameters to add or replace; `undefined` drops one. */
  header?: Record<string, unknown>
  /** The access token whose hash goes into `ath` (RFC 9449 §4.2). */
  accessToken?: string
  nonce?: string
}

function drop(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined))
}

/** RFC 9449 §4.2: a proof for `method url`, signed by `key` (jose signs whatever header it is given). */
export async function proof(key: DpopKey, url: string, options: ProofOptions = {}): Promise<string> {
  const target = new URL(url)
  const claims: Record<string, unknown> = {
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(24))),
    htm: options.method ?? 'POST',
    htu: target.origin + target.pathname,
    iat: Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: await ath(options.accessToken) }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...options.claims,
  }
  const header = drop({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...options.header })
  return new SignJWT(drop(claims)).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}

/** RFC 9449 §4.2 ath: base64url SHA-256 of the access token. */
export async function ath(accessToken: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))))
}
