/**
 * @module
 * DPoP proofs (RFC 9449 §4): a JWT the client signs for each request with a key whose public half
 * travels in the proof's own header. Checking one (§4.3) costs CPU only — no key to fetch, nothing
 * to read — so the token endpoint and every resource check proofs the same way, with no I/O:
 *
 * - header: `typ` is `dpop+jwt`; `alg` is asymmetric and supported (never `none`, never HMAC);
 *   `jwk` is a public key fit for `alg` (RSA of 2048 bits or more, EC P-256 / P-384, Ed25519) with
 *   no private or symmetric member;
 * - claims: `jti` (a string), `htm` the request's method, `htu` its URL without query and fragment
 *   (compared after WHATWG URL normalisation: scheme and host case, default port, dot segments),
 *   `iat` within PROOF_WINDOW_SECONDS of this server's clock; at a resource, `ath` the base64url
 *   SHA-256 of the access token presented with it (§4.2);
 * - the signature, by that key (no `crit` extension).
 *
 * The cheap checks come first. What is not decided here: whether a nonce is required and current
 * (./dpop-nonce.ts, §8, §9), whether the `jti` was seen before (src/tokens/proof-replay.ts, §11.1),
 * and whether the key is the one a token is bound to (the caller compares `jkt`, §6.1).
 */
import { base64url, type JWK } from 'jose'
import { utf8 } from './encoding.ts'

/** RFC 9449 §5.1 dpop_signing_alg_values_supported, and the §7.1 challenge's `algs`: asymmetric only. */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'EdDSA',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const
type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number]

/**
 * How far a proof's `iat` may lie from this server's clock, either way (§4.3 (11), §11.1): a proof
 * is good for this long after it was made, and its `jti` is remembered that long.
 * @internal Exported for tests: src/crypto/dpop.test.ts checks the window's edges.
 */
export const PROOF_WINDOW_SECONDS = 60

// Far above any proof a client makes (a 4096-bit RSA key in the header is ~1 KB); longer ones are
// refused before any parsing.
const MAX_PROOF_LENGTH = 8192
const MAX_JTI_LENGTH = 256
// RFC 7517 §9.3 / RFC 7518 §6: members that only a private or symmetric key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
// RSA moduli of 2048 bits and up: 256 bytes, 342 base64url characters.
const MIN_RSA_MODULUS_CHARACTERS = 342
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** A proof refused: the description says why (safe to show the client). */
export class DpopProofError extends Error {}

function refuse(description: string): never {
  throw new DpopProofError(description)
}

export type DpopExpectation = {
  /** The request's method (§4.3 (8): htm). */
  method: string
  /** The request's URL; its query and fragment are ignored (§4.3 (9): htu). */
  url: string
  /** At a resource, the access token sent with the proof (§4.3 (12): ath); absent at the token endpoint. */
  accessToken?: string
  /** Unix seconds. */
  now: number
}

export type DpopProof = {
  /** The key's JWK SHA-256 thumbprint (RFC 7638), base64url: what a token is bound to (§6.1). */
  jkt: string
  jti: string
  /** The URI the proof is for (the request's, without query and fragment): its jti's context (§11.1). */
  htu: string
  /** The nonce the proof carries (§8, §9), unchecked here. */
  nonce: string | undefined
  /** Unix seconds from which this proof is refused anyway: until then its jti must be remembered. */
  refusedFrom: number
}

type Header = { typ?: unknown; alg?: unknown; jwk?: unknown; crit?: unknown }
type Claims = { jti?: unknown; htm?: unknown; htu?: unknown; iat?: unknown; ath?: unknown; nonce?: unknown }

function decodePart<T>(part: string): T {
  if (!BASE64URL.test(part)) refuse('The DPoP proof is not a JWT.')
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(part)))
  } catch {
    refuse('The DPoP proof is not a JWT.')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse('The DPoP proof is not a JWT.')
  return value as T
}

/** The members a thumbprint is computed over (RFC 7638 §3.2), in its order: the canonical public key. */
function thumbprintInput(jwk: Record<string, unknown>): string | null {
  const text = (name: string) => {
    const value = jwk[name]
    return typeof value === 'string' && BASE64URL.test(value) ? value : null
  }
  if (jwk.kty === 'RSA') {
    const [e, n] = [text('e'), text('n')]
    return e && n ? JSON.stringify({ e, kty: 'RSA', n }) : null
  }
  if (jwk.kty === 'EC') {
    const [x, y] = [text('x'), text('y')]
    return typeof jwk.crv === 'string' && x && y ? JSON.stringify({ crv: jwk.crv, kty: 'EC', x, y }) : null
  }
  if (jwk.kty === 'OKP') {
    const x = text('x')
    return typeof jwk.crv === 'string' && x ? JSON.stringify({ crv: jwk.crv, kty: 'OKP', x }) : null
  }
  return null
}

// The key type and curve each algorithm signs with.
function fits(jwk: Record<string, unknown>, alg: DpopAlgorithm): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    return jwk.kty === 'RSA' && String(jwk.n).length >= MIN_RSA_MODULUS_CHARACTERS
  }
  if (alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256'
  if (alg === 'ES384') return jwk.kty === 'EC' && jwk.crv === 'P-384'
  return jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
}

/** The header's key, checked: public, of a supported type, fit for `alg`; its canonical form. */
function publicKeyOf(header: Header, alg: DpopAlgorithm): { jwk: JWK; canonical: string } {
  const { jwk } = header
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) refuse('The DPoP proof has no jwk header.')
  const members = jwk as Record<string, unknown>
  // §4.3 (7): a proof carrying its private key has leaked it.
  if (PRIVATE_MEMBERS.some((member) => member in members)) refuse('The DPoP proof’s jwk holds a private key.')
  const canonical = thumbprintInput(members)
  if (canonical === null || !fits(members, alg)) refuse(`The DPoP proof’s jwk is not a public key for ${alg}.`)
  return { jwk: JSON.parse(canonical) as JWK, canonical }
}

/** The URL as the proof's htu must name it: no query, no fragment, normalised; null when not an absolute http(s) URL. */
function htuOf(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null
  return parsed.origin + parsed.pathname
}

async function sha256Base64url(text: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text))))
}

function checkClaims(claims: Claims, expected: DpopExpectation): { jti: string; iat: number; htu: string } {
  const { jti, htm, htu, iat } = claims
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    refuse(`The DPoP proof has no jti (a unique identifier, at most ${MAX_JTI_LENGTH} characters).`)
  }
  if (htm !== expected.method) refuse(`The DPoP proof’s htm must be ${expected.method}, the request’s method.`)
  const target = htuOf(expected.url)
  if (typeof htu !== 'string' || target === null || htuOf(htu) !== target) {
    refuse('The DPoP proof’s htu must be the URL of this request, without query and fragment.')
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) refuse('The DPoP proof has no iat.')
  if (Math.abs(expected.now - iat) > PROOF_WINDOW_SECONDS) {
    refuse(`The DPoP proof’s iat is more than ${PROOF_WINDOW_SECONDS} seconds from this server’s clock.`)
  }
  return { jti, iat, htu: target }
}

/** WebCrypto's names for each algorithm: how its key is imported and its signature checked (RFC 7518 §3). */
const WEB_CRYPTO: Record<
  DpopAlgorithm,
  { importAs: SubtleCryptoImportKeyAlgorithm; verifyAs: SubtleCryptoSignAlgorithm }
> = {
  ES256: { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAs: { name: 'ECDSA', hash: 'SHA-256' } },
  ES384: { importAs: { name: 'ECDSA', namedCurve: 'P-384' }, verifyAs: { name: 'ECDSA', hash: 'SHA-384' } },
  EdDSA: { importAs: { name: 'Ed25519' }, verifyAs: { name: 'Ed25519' } },
  PS256: { importAs: { name: 'RSA-PSS', hash: 'SHA-256' }, verifyAs: { name: 'RSA-PSS', saltLength: 32 } },
  PS384: { importAs: { name: 'RSA-PSS', hash: 'SHA-384' }, verifyAs: { name: 'RSA-PSS', saltLength: 48 } },
  PS512: { importAs: { name: 'RSA-PSS', hash: 'SHA-512' }, verifyAs: { name: 'RSA-PSS', saltLength: 64 } },
  RS256: { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } },
  RS384: { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } },
  RS512: { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } },
}

type VerifyingKey = { key: CryptoKey; jkt: string }

// Imported keys and their thumbprints by canonical key and alg: a client signs every proof with the
// same key, so each of its requests is one signature check (no import, no digest). Bounded per isolate.
const MAX_KEPT_KEYS = 1000
const keys = new Map<string, Promise<VerifyingKey>>()

function verifyingKey(jwk: JWK, canonical: string, alg: DpopAlgorithm): Promise<VerifyingKey> {
  const id = `${alg} ${canonical}`
  let kept = keys.get(id)
  if (!kept) {
    kept = (async () => ({
      key: await crypto.subtle.importKey('jwk', jwk as JsonWebKey, WEB_CRYPTO[alg].importAs, false, ['verify']),
      // RFC 7638 §3: SHA-256 of the canonical members, which `canonical` is.
      jkt: await sha256Base64url(canonical),
    }))()
    // A key workerd cannot import is not kept.
    kept.catch(() => keys.delete(id))
    if (keys.size >= MAX_KEPT_KEYS) keys.delete(keys.keys().next().value as string)
    keys.set(id, kept)
  }
  return kept
}

/**
 * The proof checked against the request (§4.3), or a DpopProofError saying what is wrong. The
 * nonce, the jti's first use and the key's binding are the caller's (see the module comment).
 */
export async function verifyDpopProof(proof: string, expected: DpopExpectation): Promise<DpopProof> {
  if (proof.length > MAX_PROOF_LENGTH) refuse('The DPoP proof is too long.')
  const parts = proof.split('.')
  if (parts.length !== 3) refuse('The DPoP proof is not a JWT.')
  const header = decodePart<Header>(parts[0])
  const claims = decodePart<Claims>(parts[1])
  if (header.typ !== 'dpop+jwt') refuse('The DPoP proof’s typ must be dpop+jwt.')
  // RFC 7515 §4.1.11: no extension this server would have to understand.
  if (header.crit !== undefined) refuse('The DPoP proof’s crit header names extensions this server does not support.')
  if (typeof header.alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(header.alg)) {
    refuse(`The DPoP proof’s alg must be one of ${DPOP_ALGORITHMS.join(', ')}.`)
  }
  const alg = header.alg as DpopAlgorithm
  const { jwk, canonical } = publicKeyOf(header, alg)
  const { jti, iat, htu } = checkClaims(claims, expected)
  if (expected.accessToken !== undefined) {
    if (typeof claims.ath !== 'string') refuse('The DPoP proof has no ath (the access token’s hash).')
    if (claims.ath !== (await sha256Base64url(expected.accessToken))) {
      refuse('The DPoP proof’s ath is not the hash of this access token.')
    }
  }
  if (claims.nonce !== undefined && typeof claims.nonce !== 'string') refuse('The DPoP proof’s nonce is not a string.')

  let verifying: VerifyingKey
  try {
    verifying = await verifyingKey(jwk, canonical, alg)
  } catch {
    refuse(`The DPoP proof’s jwk is not a public key for ${alg}.`)
  }
  // The JWS signing input and signature (RFC 7515 §5.2), checked straight by WebCrypto: the header
  // and claims were read above, and nothing else (crit, b64) is accepted in a proof.
  let valid = false
  if (BASE64URL.test(parts[2])) {
    const signature = base64url.decode(parts[2])
    valid = await crypto.subtle.verify(
      WEB_CRYPTO[alg].verifyAs,
      verifying.key,
      signature,
      utf8(`${parts[0]}.${parts[1]}`),
    )
  }
  if (!valid) refuse('The DPoP proof’s signature does not verify with its jwk.')
  return { jkt: verifying.jkt, jti, htu, nonce: claims.nonce, refusedFrom: Math.floor(iat) + PROOF_WINDOW_SECONDS + 1 }
}
