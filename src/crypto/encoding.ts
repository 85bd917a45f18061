/**
 * @module
 * Byte ↔ text encodings shared by the token and password code. Web APIs only, so the
 * same code runs in workerd and in the Node CLI.
 */

// Every token lookup hex-encodes a digest: one table read a byte instead of toString + padStart.
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += HEX[byte]
  return out
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>
}

/** Base64 without `=` padding, as argon2's encoded hashes (and so Django's) write it. */
export function toBase64Unpadded(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, '')
}

export function fromBase64Unpadded(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) throw new SyntaxError('Invalid unpadded base64')
  return fromBase64(text + '='.repeat((4 - (text.length % 4)) % 4))
}
