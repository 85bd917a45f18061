/**
 * @module
 * Shape of every secret the server mints, and the checks that refuse a made-up one before any
 * storage I/O. All characters are base62, inside RFC 6750's b64token set.
 *
 * Tokens (access, refresh, authorization code, device code), 65 characters, or 67 with a shard:
 *   `<prefix>_<43 random><12 MAC><6 CRC32>`            (shard 0: the main database)
 *   `<prefix>_<2 shard><43 random><12 MAC><6 CRC32>`   (token shard 1–3843, src/tokens/shards.ts)
 * - 43 base62 characters carry 256 random bits; the prefix tells secret scanners (and people)
 *   what leaked.
 * - shard: the token database that holds the token, in 2 base62 characters, so a lookup goes
 *   straight to it with no directory.
 * - MAC: HMAC-SHA256 of everything before it (`<prefix>_<shard?><random>`) under a key derived
 *   from SECRET_KEY, truncated to 64 bits. Only the server can make a token that passes, so a
 *   forged one — a made-up token, or a real one pointed at another shard — is refused without
 *   touching KV or D1 (with a public check value alone, anyone can make tokens that each cost a
 *   KV read and two D1 reads, and rotating them defeats the negative cache).
 * - CRC32 of everything before it, public as before: secret scanners validate a match offline,
 *   and a mistyped token is refused without computing the MAC.
 * Legacy format, minted before the MAC existed, 53 characters: `<prefix>_<43 random><6 CRC32>`.
 * The lengths tell the two apart. Legacy tokens stay accepted until `legacyUntil` (the operator's
 * LEGACY_TOKEN_FORMAT_UNTIL); until then a forged one in that format still costs its lookup.
 *
 * Imported tokens (`manage import-django`): django-oauth-toolkit's are plain random strings, oauthlib's
 * `generate_token()` (30 characters of [A-Za-z0-9]), with no check value at all. They are accepted
 * only while `importedUntil` (the operator's IMPORTED_TOKENS_UNTIL, which the import prints) lies
 * ahead: until then a made-up token of that shape costs its lookup, after it nothing again. They
 * live in one shard, `importedShard` (IMPORTED_TOKENS_SHARD, which the import prints too).
 *
 * Neither check proves a token: authenticity comes only from the stored digest.
 */
import { timingSafeEqualText } from './digest.ts'
import { toHex, utf8 } from './encoding.ts'
import { ALPHANUMERIC, randomString } from './random.ts'

export const TOKEN_PREFIXES = {
  access: 'eat',
  refresh: 'ert',
  code: 'eac',
  // RFC 8628 device code: polled at the token endpoint, so forged ones are refused before I/O.
  deviceCode: 'edc',
  // RFC 9126 request_uri (after its URN prefix): a made-up one is refused before I/O.
  pushedRequest: 'epr',
  clientSecret: 'ecs',
  registration: 'erg',
} as const

/** The kinds the server looks up by their value, so they carry the keyed check. */
type TokenKind = Exclude<keyof typeof TOKEN_PREFIXES, 'clientSecret' | 'registration'>

const PREFIX_LENGTH = 4 // e.g. `eat_`
const RANDOM_LENGTH = 43 // ⌈256 / log2(62)⌉
const WORD_LENGTH = 6 // base62 characters for one 32-bit value: 62^6 > 2^32
const MAC_LENGTH = 2 * WORD_LENGTH // 64 bits
const CRC_LENGTH = WORD_LENGTH
const SHARD_LENGTH = 2
const BODY_LENGTH = PREFIX_LENGTH + RANDOM_LENGTH
const TOKEN_LENGTH = BODY_LENGTH + MAC_LENGTH + CRC_LENGTH
const SHARDED_LENGTH = TOKEN_LENGTH + SHARD_LENGTH
const LEGACY_LENGTH = BODY_LENGTH + CRC_LENGTH
/** The largest shard number a token carries (2 base62 characters). */
export const MAX_TOKEN_SHARD = 62 ** SHARD_LENGTH - 1
const SHAPE = /^[a-z]{3}_[A-Za-z0-9]+$/
/**
 * An imported django-oauth-toolkit access or refresh token: oauthlib's alphabet (no `_`, so never
 * one of ours), 20–255 characters (DOT's column holds 255; fewer than 20 is not a random token).
 */
export const IMPORTED_TOKEN_SHAPE = /^[A-Za-z0-9]{20,255}$/

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32(text: string): number {
  let crc = 0xffffffff
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function base62Word(value: number): string {
  let out = ''
  for (let i = 0; i < WORD_LENGTH; i++) {
    out = ALPHANUMERIC[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

/**
 * `body` followed by its public check value (CRC32 in 6 base62 characters), as secret scanners verify it.
 * @internal Exported for tests: tests forge tokens whose checksum passes, to reach the MAC check.
 */
export function withChecksum(body: string): string {
  return body + base62Word(crc32(body))
}

function shardCharacters(shard: number): string {
  if (!Number.isInteger(shard) || shard < 1 || shard > MAX_TOKEN_SHARD) {
    throw new Error(`token shard ${shard} is not between 1 and ${MAX_TOKEN_SHARD}`)
  }
  return ALPHANUMERIC[Math.floor(shard / 62)] + ALPHANUMERIC[shard % 62]
}

function shardNumber(characters: string): number {
  return ALPHANUMERIC.indexOf(characters[0]) * 62 + ALPHANUMERIC.indexOf(characters[1])
}

function hasValidChecksum(token: string): boolean {
  return withChecksum(token.slice(0, -CRC_LENGTH)) === token
}

// Domain separation: the session cookie is signed with SECRET_KEY itself, tokens with this key.
const MAC_KEY_LABEL = 'edge-oauth-toolkit token-check-v1'

// One entry per SECRET_KEY value (one per deployment), so the key is derived once per isolate.
const macKeys = new Map<string, Promise<CryptoKey>>()

function macKey(secretKey: string): Promise<CryptoKey> {
  // An empty key would make every MAC computable by anyone.
  if (!secretKey) throw new Error('SECRET_KEY is not set: tokens can be neither minted nor checked')
  let key = macKeys.get(secretKey)
  if (!key) {
    key = deriveMacKey(secretKey)
    macKeys.set(secretKey, key)
  }
  return key
}

function importHmacKey(raw: BufferSource): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

async function deriveMacKey(secretKey: string): Promise<CryptoKey> {
  const derived = await crypto.subtle.sign('HMAC', await importHmacKey(utf8(secretKey)), utf8(MAC_KEY_LABEL))
  return importHmacKey(derived)
}

// Web Crypto, not @noble/hashes: in workerd an HMAC-SHA256 of a token costs about as much as
// its SHA-256 digest (~10 µs), pure JS about four times that.
async function mac(secretKey: string, body: string): Promise<string> {
  const tag = new DataView(await crypto.subtle.sign('HMAC', await macKey(secretKey), utf8(body)))
  return base62Word(tag.getUint32(0)) + base62Word(tag.getUint32(4))
}

export type TokenFormat = {
  /** A new token of `kind` held by token shard `shard` (0, the default: the main database). */
  mint(kind: TokenKind, shard?: number): Promise<string>
  /**
   * The shard that holds `token` when it has the shape, checksum and MAC of a token of `kind`
   * minted here (0 for the main database, legacy and imported tokens); null for any other value.
   */
  shardOf(token: string, kind: TokenKind): Promise<number | null>
  /**
   * Everything `isWellFormed` checks but the MAC, with no hashing: shape, checksum, and the
   * windows of legacy and imported tokens. False refuses the token; true leaves the MAC to check.
   */
  hasShape(token: string, kind: TokenKind): boolean
  /** True when `token` has the shape, checksum and MAC of a token of `kind` minted here. */
  isWellFormed(token: string, kind: TokenKind): Promise<boolean>
}

/**
 * The token format keyed by `secretKey` (the Worker's SECRET_KEY). Legacy (CRC-only) tokens are
 * accepted until `legacyUntil` (Unix seconds), for ever when it is null; imported access and
 * refresh tokens (IMPORTED_TOKEN_SHAPE) until `importedUntil`, never when it is null, and are
 * held by shard `importedShard`.
 */
export function keyedTokenFormat(
  secretKey: string,
  legacyUntil: number | null = null,
  importedUntil: number | null = null,
  importedShard = 0,
): TokenFormat {
  // Imported and legacy tokens carry no MAC: their shape (and window) is all there is to check.
  const isImported = (token: string, kind: TokenKind) =>
    (kind === 'access' || kind === 'refresh' || kind === 'deviceCode') &&
    importedUntil !== null &&
    IMPORTED_TOKEN_SHAPE.test(token)
  const hasShape = (token: string, kind: TokenKind) => {
    if (isImported(token, kind)) return Date.now() / 1000 < (importedUntil as number)
    if (token.length !== TOKEN_LENGTH && token.length !== SHARDED_LENGTH && token.length !== LEGACY_LENGTH) return false
    if (!SHAPE.test(token) || !token.startsWith(`${TOKEN_PREFIXES[kind]}_`)) return false
    if (!hasValidChecksum(token)) return false
    if (token.length === LEGACY_LENGTH) return legacyUntil === null || Date.now() / 1000 < legacyUntil
    return true
  }
  async function shardOf(token: string, kind: TokenKind): Promise<number | null> {
    if (!hasShape(token, kind)) return null
    if (isImported(token, kind)) return importedShard
    if (token.length === LEGACY_LENGTH) return 0
    const body = token.length - MAC_LENGTH - CRC_LENGTH
    const valid = timingSafeEqualText(await mac(secretKey, token.slice(0, body)), token.slice(body, -CRC_LENGTH))
    if (!valid) return null
    return token.length === SHARDED_LENGTH ? shardNumber(token.slice(PREFIX_LENGTH, PREFIX_LENGTH + SHARD_LENGTH)) : 0
  }
  return {
    async mint(kind, shard = 0) {
      const where = shard === 0 ? '' : shardCharacters(shard)
      const body = `${TOKEN_PREFIXES[kind]}_${where}${randomString(RANDOM_LENGTH)}`
      return withChecksum(body + (await mac(secretKey, body)))
    },
    shardOf,
    hasShape,
    async isWellFormed(token, kind) {
      return (await shardOf(token, kind)) !== null
    },
  }
}

/**
 * A client secret, in the legacy (CRC-only) shape: a secret is never looked up by its value
 * (the client_id finds the application, then the digests are compared), so a MAC would save no
 * I/O, and the CLI mints secrets where the deployed SECRET_KEY cannot be read (`--remote`).
 */
export function mintClientSecret(): string {
  return withChecksum(`${TOKEN_PREFIXES.clientSecret}_${randomString(RANDOM_LENGTH)}`)
}

/**
 * An RFC 7592 registration access token, in the same shape as a client secret and for the same
 * reason: the client_id in the registration URI finds the client, then the digests are compared.
 */
export function mintRegistrationToken(): string {
  return withChecksum(`${TOKEN_PREFIXES.registration}_${randomString(RANDOM_LENGTH)}`)
}

// DRF's Token.generate_key(): binascii.hexlify(os.urandom(20)), 40 lowercase hex characters.
const API_KEY_BYTES = 20
const API_KEY_SHAPE = /^[0-9a-f]{40}$/

/** A DRF-compatible `Token` key (160 random bits), so existing DRF clients accept its shape. */
export function mintApiKey(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(API_KEY_BYTES)))
}

export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_SHAPE.test(key)
}
