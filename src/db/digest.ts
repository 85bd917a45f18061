/**
 * @module
 * A SHA-256 digest kept as a 32-byte BLOB, read and written as its 64-character lowercase hex
 * (what src/crypto/digest.ts `sha256Hex` returns and the token cache keys on). Half the bytes of
 * hex text in the row and again in its unique index (docs/capacity.md).
 */
import { customType } from 'drizzle-orm/sqlite-core'
import { toHex } from '../crypto/encoding.ts'

const SHA256_HEX = /^[0-9a-f]{64}$/

/** The digest's 32 bytes; anything but a lowercase SHA-256 hex is a programming error, never stored. */
function digestBytes(hex: string): Uint8Array<ArrayBuffer> {
  if (!SHA256_HEX.test(hex)) throw new TypeError('not a SHA-256 hex digest')
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** D1 hands a BLOB back as an ArrayBuffer (or, through some paths, an array of byte values). */
function digestHex(value: ArrayBuffer | ArrayBufferView | number[]): string {
  if (Array.isArray(value)) return toHex(Uint8Array.from(value))
  if (ArrayBuffer.isView(value)) return toHex(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
  return toHex(new Uint8Array(value))
}

export const digest = customType<{ data: string; driverData: ArrayBuffer | ArrayBufferView | number[] }>({
  dataType: () => 'blob',
  toDriver: (hex) => digestBytes(hex),
  fromDriver: digestHex,
})
