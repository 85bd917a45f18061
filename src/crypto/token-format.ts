/**
 * @module
 * Shape of every secret the server mints: `<prefix>_<43 base62 chars><6 base62 CRC32 chars>`.
 * 43 base62 characters carry 256 bits; the prefix tells secret scanners (and people) what
 * leaked; the CRC32 lets a mistyped or made-up token be refused before any storage I/O.
 * The CRC is not a secret check: authenticity comes only from the stored digest.
 */
import { toHex } from './encoding.ts'
import { ALPHANUMERIC, randomString } from './random.ts'

export const TOKEN_PREFIXES = {
  access: 'eat',
  refresh: 'ert',
  code: 'eac',
  clientSecret: 'ecs',
} as const

export type TokenKind = keyof typeof TOKEN_PREFIXES

const RANDOM_LENGTH = 43 // ⌈256 / log2(62)⌉
const CHECK_LENGTH = 6 // 62^6 > 2^32

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

function checkValue(body: string): string {
  let value = crc32(body)
  let out = ''
  for (let i = 0; i < CHECK_LENGTH; i++) {
    out = ALPHANUMERIC[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

export function mintToken(kind: TokenKind): string {
  const body = `${TOKEN_PREFIXES[kind]}_${randomString(RANDOM_LENGTH)}`
  return body + checkValue(body)
}

const TOKEN_LENGTH = 3 + 1 + RANDOM_LENGTH + CHECK_LENGTH
const SHAPE = /^[a-z]{3}_[A-Za-z0-9]+$/

/** True when `token` has the shape and check value of a token of `kind` minted here. */
export function isWellFormedToken(token: string, kind: TokenKind): boolean {
  if (token.length !== TOKEN_LENGTH || !SHAPE.test(token)) return false
  if (!token.startsWith(`${TOKEN_PREFIXES[kind]}_`)) return false
  const body = token.slice(0, -CHECK_LENGTH)
  return checkValue(body) === token.slice(-CHECK_LENGTH)
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
