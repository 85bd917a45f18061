/**
 * @module
 * OIDC signing keys (jose): parsed from one secret, imported once per isolate.
 *
 * The secret holds either PEM private keys (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1 `BEGIN RSA
 * PRIVATE KEY` as DOT's OIDC_RSA_PRIVATE_KEY from older `openssl genrsa`; several may be
 * concatenated) or a JWK set `{"keys": [...]}` of private JWKs. Order is age: the LAST key of an
 * algorithm is the newest and signs; every key is published, so tokens signed by an older key
 * keep verifying while it stays in the set. Each key's `kid` is its RFC 7638 thumbprint (any
 * `kid` in the input is ignored), so it is stable whatever the input format.
 */
import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JSONWebKeySet,
  type JWK,
} from 'jose'
import { z } from 'zod'
import { fromBase64, toBase64 } from './encoding.ts'

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

type SigningKey = {
  kid: string
  alg: SigningAlgorithm
  /** Non-extractable: it can sign, never be exported. */
  privateKey: CryptoKey
  /** Public members only (an allowlist, see publicMembers). */
  publicJwk: JWK
}

export type SigningKeys = {
  /** In configured order: oldest first. */
  all: SigningKey[]
  /** The JWKS document: every key, public members only. */
  jwks: JSONWebKeySet
  /** The newest key of this algorithm, or undefined when none is configured. */
  signer(alg: SigningAlgorithm): SigningKey | undefined
}

// RFC 7518 §3.3: RSA keys for RS256 must be at least 2048 bits.
const MIN_RSA_MODULUS_BYTES = 256

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g

const PrivateJwkSchema = z.union([
  z.object({
    kty: z.literal('RSA'),
    n: z.string(),
    e: z.string(),
    d: z.string(),
    p: z.string(),
    q: z.string(),
    dp: z.string(),
    dq: z.string(),
    qi: z.string(),
    alg: z.literal('RS256').optional(),
  }),
  z.object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string(),
    y: z.string(),
    d: z.string(),
    alg: z.literal('ES256').optional(),
  }),
])

const JwkSetSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) })

/** The public members of an RSA or EC key, copied by name so no private member can slip through. */
function publicMembers(jwk: JWK): JWK {
  if (jwk.kty === 'RSA') return { kty: 'RSA', n: jwk.n, e: jwk.e }
  if (jwk.kty === 'EC') return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
  throw new Error(`Unsupported signing key type: ${jwk.kty}`)
}

function algorithmOf(jwk: JWK): SigningAlgorithm {
  return jwk.kty === 'EC' ? 'ES256' : 'RS256'
}

async function fromPrivateJwk(jwk: JWK, position: number): Promise<SigningKey> {
  const parsed = PrivateJwkSchema.safeParse(jwk)
  if (!parsed.success) {
    throw new Error(`OIDC_SIGNING_KEYS key ${position}: not an RSA or P-256 EC private JWK for RS256/ES256`)
  }
  const alg = algorithmOf(jwk)
  const publicJwk = publicMembers(jwk)
  if (alg === 'RS256' && base64url.decode(String(publicJwk.n)).length < MIN_RSA_MODULUS_BYTES) {
    throw new Error(`OIDC_SIGNING_KEYS key ${position}: RSA keys must be at least 2048 bits (RFC 7518 §3.3)`)
  }
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256')
  const privateKey = (await importJWK({ ...parsed.data, alg }, alg, { extractable: false })) as CryptoKey
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } }
}

// RFC 5208 PrivateKeyInfo around an RFC 8017 RSAPrivateKey (PKCS#1):
// SEQUENCE { INTEGER 0, AlgorithmIdentifier { rsaEncryption OID 1.2.840.113549.1.1.1, NULL }, OCTET STRING }.
const PKCS8_VERSION = [0x02, 0x01, 0x00]
const RSA_ENCRYPTION = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]
const DER_SEQUENCE = 0x30
const DER_OCTET_STRING = 0x04

/** X.690 §8.1.3: short form below 128, else 0x80 | byte count followed by the length big-endian. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length]
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return [0x80 | bytes.length, ...bytes]
}

function der(tag: number, content: ArrayLike<number>): number[] {
  return [tag, ...derLength(content.length), ...Array.from(content)]
}

function pkcs1ToPkcs8Pem(base64Body: string): string {
  const pkcs1 = fromBase64(base64Body.replace(/\s+/g, ''))
  const pkcs8 = der(DER_SEQUENCE, [...PKCS8_VERSION, ...RSA_ENCRYPTION, ...der(DER_OCTET_STRING, pkcs1)])
  return `-----BEGIN PRIVATE KEY-----\n${toBase64(Uint8Array.from(pkcs8))}\n-----END PRIVATE KEY-----`
}

/** A PKCS#8 PEM key: RSA or P-256, found by trying each supported algorithm. */
async function pemToJwk(pem: string, position: number): Promise<JWK> {
  for (const alg of SIGNING_ALGORITHMS) {
    try {
      return await exportJWK(await importPKCS8(pem, alg, { extractable: true }))
    } catch {
      // Not a key for this algorithm; try the next.
    }
  }
  throw new Error(`OIDC_SIGNING_KEYS key ${position}: not a usable RSA or P-256 EC private key`)
}

async function parseSecret(secret: string): Promise<JWK[]> {
  const text = secret.trim()
  if (text.startsWith('{')) {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new Error('OIDC_SIGNING_KEYS is neither valid JSON nor PEM')
    }
    const set = JwkSetSchema.safeParse(json)
    if (!set.success) throw new Error('OIDC_SIGNING_KEYS: a JWK set needs a non-empty "keys" array')
    return set.data.keys as JWK[]
  }
  const blocks = [...text.matchAll(PEM_BLOCK)]
  if (blocks.length === 0) throw new Error('OIDC_SIGNING_KEYS holds no PEM block and no JWK set')
  return Promise.all(
    blocks.map(([block, label, body], index) => {
      if (label === 'PRIVATE KEY') return pemToJwk(block, index + 1)
      if (label === 'RSA PRIVATE KEY') {
        let pem: string
        try {
          pem = pkcs1ToPkcs8Pem(body)
        } catch {
          throw new Error(`OIDC_SIGNING_KEYS key ${index + 1}: the RSA PRIVATE KEY block is not valid base64`)
        }
        return pemToJwk(pem, index + 1)
      }
      throw new Error(
        `OIDC_SIGNING_KEYS key ${index + 1}: "${label}" PEM is not supported; convert it with \`openssl pkcs8 -topk8 -nocrypt\``,
      )
    }),
  )
}

async function parseSigningKeys(secret: string): Promise<SigningKeys> {
  const jwks = await parseSecret(secret)
  const all = await Promise.all(jwks.map((jwk, index) => fromPrivateJwk(jwk, index + 1)))
  const kids = new Set(all.map((key) => key.kid))
  if (kids.size !== all.length) throw new Error('OIDC_SIGNING_KEYS lists the same key twice')
  // OIDC Discovery 1.0 §3: RS256 must be among id_token_signing_alg_values_supported.
  if (!all.some((key) => key.alg === 'RS256')) throw new Error('OIDC_SIGNING_KEYS needs at least one RSA key (RS256)')
  return {
    all,
    jwks: { keys: all.map((key) => key.publicJwk) },
    signer: (alg) => all.findLast((key) => key.alg === alg),
  }
}

// One entry per distinct secret value (in practice one): keys are imported once per isolate.
const cache = new Map<string, Promise<SigningKeys>>()

/** The signing keys of this secret, parsed and imported on first use. A bad secret fails loudly each time. */
export function loadSigningKeys(secret: string | undefined): Promise<SigningKeys> {
  if (!secret) return Promise.reject(new Error('OIDC_SIGNING_KEYS is not set'))
  let keys = cache.get(secret)
  if (!keys) {
    keys = parseSigningKeys(secret)
    cache.set(secret, keys)
    keys.catch(() => cache.delete(secret))
  }
  return keys
}

/** New private keys, one per algorithm given, as a JWK set on one line (the format of OIDC_SIGNING_KEYS). */
export async function generateSigningKeySet(algorithms: SigningAlgorithm[] = ['RS256']): Promise<string> {
  const keys = await Promise.all(
    algorithms.map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true })
      return { ...(await exportJWK(privateKey)), alg }
    }),
  )
  return JSON.stringify({ keys })
}
