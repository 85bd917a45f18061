/**
 * @module
 * Public key sets that sign JWTs presented here: a client's, for private_key_jwt (RFC 7523 §2.2;
 * src/oauth/client-assertion.ts), and a trusted identity provider's, for its ID-JAGs
 * (src/oauth/id-jag/assertion.ts). Each is registered as a JWK Set (`jwks`, RFC 7591 §2) or at a
 * URL (`jwks_uri`); `signedByKeysOf` checks a JWT's signature against it.
 *
 * - Accepted keys are public signature keys only: RSA (at least 2048 bits), EC P-256 / P-384,
 *   OKP Ed25519. A set holding private members (`d`, …) or a symmetric key is refused outright:
 *   a client that sends its private key has leaked it, and a shared key would let this server
 *   forge the client's assertions.
 * - A jwks_uri is fetched like a client ID metadata document (src/lib/public-fetch.ts: public https
 *   hosts only, never this server, no redirects, at most 16 KB, 5 s), and counted against the
 *   caller's fetch limit. The set is kept in isolate memory for its Cache-Control max-age (60 s to
 *   1 h; 5 min when it says nothing). An assertion naming a kid the kept set lacks (the client
 *   rotated its keys) fetches it again, at most once a minute per URL, so a stranger sending
 *   made-up kids cannot make this server fetch at will. Failed fetches are not kept.
 */
import { compactVerify, importJWK, type JWK } from 'jose'
import { OAuthError } from '../http/oauth.ts'
import { FetchRefused, fetchPublicJson, publicUrlProblem } from '../lib/public-fetch.ts'
import { MAX_REDIRECT_URI_LENGTH } from './application-rules.ts'

/**
 * RFC 8414 `*_auth_signing_alg_values_supported`: asymmetric algorithms only, never `none` or HMAC.
 * An ID-JAG may be signed by the same ones.
 */
export const CLIENT_ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
] as const
type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number]

const MAX_KEYS = 10
/** A registered set, as stored: ten 4096-bit RSA keys fit. */
const MAX_STORED_BYTES = 10 * 1024
const MAX_FETCHED_BYTES = 16 * 1024
const FETCH_TIMEOUT_MS = 5000
const FRESHNESS_SECONDS = { min: 60, max: 3600, default: 300 } as const
/** An unknown kid fetches a set again only if the kept one is at least this old. */
const REFETCH_COOLDOWN_SECONDS = 60
const MAX_CACHED_SETS = 1000
/** Seconds a client refused by the fetch limit is told to wait (the limiter's period, wrangler.toml). */
const FETCH_LIMIT_PERIOD_SECONDS = 60

// RFC 7517 §9.3 / RFC 7518 §6: members that only a private or symmetric key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const CURVES: Record<string, readonly string[]> = { EC: ['P-256', 'P-384'], OKP: ['Ed25519'] }
// RSA moduli of 2048 bits and up: 256 bytes, 342 base64url characters (a leading zero byte aside).
const MIN_RSA_MODULUS_CHARACTERS = 342
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** A public signature key as kept: only the members verification needs. */
type PublicKey = Pick<JWK, 'kty' | 'kid' | 'alg' | 'use' | 'n' | 'e' | 'crv' | 'x' | 'y'>
export type PublicKeySet = { keys: PublicKey[] }

function keyProblem(key: unknown, index: number): string | PublicKey {
  const at = `jwks.keys[${index}]`
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return `${at} is not a JSON object.`
  const jwk = key as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    return `${at} holds private or symmetric key material: register the public key only.`
  }
  const text = (name: string) => (typeof jwk[name] === 'string' ? (jwk[name] as string) : undefined)
  const kty = text('kty')
  if (jwk.use !== undefined && jwk.use !== 'sig') return `${at}: use must be sig.`
  if (jwk.alg !== undefined && !(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(String(jwk.alg))) {
    return `${at}: alg must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}.`
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid.length > 256)) {
    return `${at}: kid must be a string of at most 256 characters.`
  }
  const encoded = (...names: string[]) => names.every((name) => BASE64URL.test(text(name) ?? ''))
  if (kty === 'RSA') {
    if (!encoded('n', 'e')) return `${at}: an RSA key needs n and e.`
    if ((text('n') ?? '').length < MIN_RSA_MODULUS_CHARACTERS) return `${at}: RSA keys must have at least 2048 bits.`
  } else if (kty === 'EC' || kty === 'OKP') {
    if (!CURVES[kty].includes(text('crv') ?? '')) return `${at}: crv must be one of ${CURVES[kty].join(', ')}.`
    if (!encoded(...(kty === 'EC' ? ['x', 'y'] : ['x']))) return `${at}: the key’s coordinates are missing.`
  } else {
    return `${at}: kty must be RSA, EC or OKP (a public signature key).`
  }
  const kept: Record<string, unknown> = {}
  for (const name of ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y']) {
    if (jwk[name] !== undefined) kept[name] = jwk[name]
  }
  return kept as PublicKey
}

/** RFC 7517 §5: a JWK Set of public signature keys, as kept; or the reason it is not one (a message naming the field). */
export function checkKeySet(value: unknown): PublicKeySet | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'jwks must be a JWK Set (a JSON object).'
  const { keys } = value as { keys?: unknown }
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    return `jwks.keys must be an array of 1 to ${MAX_KEYS} keys.`
  }
  const checked: PublicKey[] = []
  for (const [index, key] of keys.entries()) {
    const result = keyProblem(key, index)
    if (typeof result === 'string') return result
    checked.push(result)
  }
  const kids = checked.map((key) => key.kid).filter((kid) => kid !== undefined)
  if (new Set(kids).size !== kids.length) return 'jwks: each kid may appear once.'
  const set = { keys: checked }
  if (JSON.stringify(set).length > MAX_STORED_BYTES) return `jwks is larger than ${MAX_STORED_BYTES} bytes.`
  return set
}

/** A registered key as pages list it: what it is, never its key material. */
export type KeyListing = { kid: string | null; kty: string; alg: string | null; crv: string | null }

/** The keys of a stored JWK Set (as `checkKeySet` kept it), for a page to list. */
export function listKeys(storedJwks: string): KeyListing[] {
  const { keys } = JSON.parse(storedJwks) as PublicKeySet
  return keys.map((key) => ({ kid: key.kid ?? null, kty: key.kty ?? '', alg: key.alg ?? null, crv: key.crv ?? null }))
}

/** Why `uri` may not be a jwks_uri (https, a public host, never this server's), or null. */
export function jwksUriProblem(uri: string, ownHosts: readonly string[] = []): string | null {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `jwks_uri has at most ${MAX_REDIRECT_URI_LENGTH} characters.`
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return 'jwks_uri is not a URL.'
  }
  if (ownHosts.includes(url.host)) return 'jwks_uri may not be on this server.'
  const problem = publicUrlProblem(url)
  return problem === null ? null : `jwks_uri: ${problem}`
}

/** Whose keys: a registered set, or the URL of one (never both), and whose they are in messages. */
export type KeyHolder = {
  jwks: string | null
  jwksUri: string | null
  /** How messages name the holder: `client` (the default), `identity provider`. */
  kind?: string
}

/** What fetching a jwks_uri needs from the request. */
export type KeyFetchContext = {
  /** This server's own hosts: a key set there is never fetched. */
  ownHosts: readonly string[]
  /** Counts one fetch against the caller; false when over the limit. */
  admitFetch: () => Promise<boolean>
  /** Now, in Unix seconds. */
  now: number
}

type KeptSet = { keys: PublicKey[]; fetchedAt: number; freshUntil: number }

// Per isolate, by URL (bounded: the oldest entry goes first).
const fetchedSets = new Map<string, KeptSet>()

/** Why a holder's keys cannot be used: what they sign cannot be checked. */
export class KeysUnavailable extends Error {}

async function fetchKeySet(uri: string, kind: string, context: KeyFetchContext): Promise<KeptSet> {
  const problem = jwksUriProblem(uri, context.ownHosts)
  if (problem) throw new KeysUnavailable(`The ${kind}’s ${problem}`)
  if (!(await context.admitFetch())) {
    throw new OAuthError('slow_down', 'Too many documents fetched for this address; retry later.', {
      status: 429,
      headers: { 'Retry-After': String(FETCH_LIMIT_PERIOD_SECONDS) },
    })
  }
  let body: unknown
  let freshFor: number | null
  try {
    ;({ body, freshFor } = await fetchPublicJson(uri, { maxBytes: MAX_FETCHED_BYTES, timeoutMs: FETCH_TIMEOUT_MS }))
  } catch (error) {
    if (!(error instanceof FetchRefused)) throw error
    throw new KeysUnavailable(`The ${kind}’s jwks_uri cannot be used: ${error.message}`)
  }
  const set = checkKeySet(body)
  if (typeof set === 'string') throw new KeysUnavailable(`The ${kind}’s jwks_uri cannot be used: ${set}`)
  const seconds = Math.min(
    FRESHNESS_SECONDS.max,
    Math.max(FRESHNESS_SECONDS.min, freshFor ?? FRESHNESS_SECONDS.default),
  )
  const kept = { keys: set.keys, fetchedAt: context.now, freshUntil: context.now + seconds }
  fetchedSets.delete(uri)
  if (fetchedSets.size >= MAX_CACHED_SETS) fetchedSets.delete(fetchedSets.keys().next().value as string)
  fetchedSets.set(uri, kept)
  return kept
}

/**
 * The keys of `holder`: its registered set, or its jwks_uri's (kept, or fetched when stale).
 * `missingKid`: the kid a JWT names that the keys returned before lacked; the jwks_uri is then
 * fetched again unless it was fetched within the cooldown. KeysUnavailable when the holder has
 * no keys or its jwks_uri cannot be used.
 */
async function keysOf(holder: KeyHolder, context: KeyFetchContext, missingKid?: string): Promise<PublicKey[]> {
  const kind = holder.kind ?? 'client'
  if (holder.jwks !== null) {
    const set = checkKeySet(JSON.parse(holder.jwks))
    if (typeof set === 'string') throw new KeysUnavailable(`The ${kind}’s registered keys cannot be used: ${set}`)
    return set.keys
  }
  const uri = holder.jwksUri
  if (uri === null) throw new KeysUnavailable(`This ${kind} has no keys registered.`)
  const kept = fetchedSets.get(uri)
  const stale = !kept || context.now >= kept.freshUntil
  const rotated =
    kept !== undefined &&
    missingKid !== undefined &&
    !kept.keys.some((key) => key.kid === missingKid) &&
    context.now - kept.fetchedAt >= REFETCH_COOLDOWN_SECONDS
  return (stale || rotated ? await fetchKeySet(uri, kind, context) : kept).keys
}

/** A JWS's protected header as the signature check reads it (alg already one of CLIENT_ASSERTION_ALGORITHMS). */
export type SignedHeader = { alg: ClientAssertionAlgorithm; kid?: string }

// The key type and curve each algorithm signs with.
function fits(key: PublicKey, alg: ClientAssertionAlgorithm): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.kty === 'RSA'
  if (alg === 'ES256') return key.kty === 'EC' && key.crv === 'P-256'
  if (alg === 'ES384') return key.kty === 'EC' && key.crv === 'P-384'
  return key.kty === 'OKP' && key.crv === 'Ed25519'
}

/** Whether one of `keys` (the header's kid, else any that fits) signed `jws`. */
async function signedByOneOf(jws: string, header: SignedHeader, keys: PublicKey[]): Promise<boolean> {
  const candidates = keys.filter((key) => (header.kid === undefined || key.kid === header.kid) && fits(key, header.alg))
  for (const jwk of candidates) {
    try {
      await compactVerify(jws, await importJWK(jwk, header.alg), { algorithms: [header.alg] })
      return true
    } catch {
      // Not this key (or not a key workerd can use): the next one.
    }
  }
  return false
}

/**
 * Whether `jws` is signed by a key of `holder`. A kid the kept set lacks fetches the holder's
 * jwks_uri again (it may have rotated its keys since), within the cooldown. KeysUnavailable when
 * its keys cannot be had.
 */
export async function signedByKeysOf(
  jws: string,
  header: SignedHeader,
  holder: KeyHolder,
  context: KeyFetchContext,
): Promise<boolean> {
  let keys = await keysOf(holder, context)
  if (await signedByOneOf(jws, header, keys)) return true
  if (header.kid === undefined || keys.some((key) => key.kid === header.kid)) return false
  keys = await keysOf(holder, context, header.kid)
  return signedByOneOf(jws, header, keys)
}
