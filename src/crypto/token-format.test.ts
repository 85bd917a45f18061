/**
 * The token format (./token-format.ts): what a minted token looks like, and which made-up ones
 * the checks refuse. The MAC is recomputed here with @noble/hashes, independently of Web Crypto.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { ALPHANUMERIC, randomString } from './random.ts'
import { keyedTokenFormat, mintApiKey, mintClientSecret, TOKEN_PREFIXES, withChecksum } from './token-format.ts'

const SECRET = 'unit-test-secret-key'
const format = keyedTokenFormat(SECRET)
const KINDS = ['access', 'refresh', 'code'] as const
const encode = (text: string) => new TextEncoder().encode(text)

function base62Word(value: number): string {
  let out = ''
  for (let i = 0; i < 6; i++) {
    out = ALPHANUMERIC[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

/** The 12-character MAC of `body` as the format specifies it, for a given HMAC key. */
function expectedMac(key: Uint8Array, body: string): string {
  const tag = new DataView(hmac(sha256, key, encode(body)).buffer)
  return base62Word(tag.getUint32(0)) + base62Word(tag.getUint32(4))
}

const derivedKey = (secret: string) => hmac(sha256, encode(secret), encode('edge-oauth-toolkit token-check-v1'))

/** A token of the current shape with a valid public checksum and the given MAC. */
const withMac = (body: string, mac: string) => withChecksum(body + mac)

describe('keyed token format', () => {
  it('mints `<prefix>_<43 random><12 MAC><6 CRC32>`, all base62', async () => {
    for (const kind of KINDS) {
      const token = await format.mint(kind)
      expect(token).toMatch(new RegExp(`^${TOKEN_PREFIXES[kind]}_[A-Za-z0-9]{61}$`))
      expect(withChecksum(token.slice(0, -6))).toBe(token)
      expect(token.slice(47, 59)).toBe(expectedMac(derivedKey(SECRET), token.slice(0, 47)))
    }
  })

  it('accepts its own tokens, of their kind only', async () => {
    for (const kind of KINDS) {
      const token = await format.mint(kind)
      for (const other of KINDS) expect(await format.isWellFormed(token, other)).toBe(other === kind)
    }
  })

  it('refuses a token with a right checksum but a made-up MAC (forged with the public algorithm)', async () => {
    for (let i = 0; i < 20; i++) {
      const forged = withMac(`eat_${randomString(43)}`, randomString(12))
      expect(await format.isWellFormed(forged, 'access')).toBe(false)
    }
  })

  it('refuses a token minted under another SECRET_KEY', async () => {
    const token = await keyedTokenFormat('another-secret-key').mint('access')
    expect(await format.isWellFormed(token, 'access')).toBe(false)
  })

  it('binds the MAC to the kind: another prefix with a recomputed checksum is refused', async () => {
    const token = await format.mint('refresh')
    const relabelled = withChecksum(`eat${token.slice(3, -6)}`)
    expect(await format.isWellFormed(relabelled, 'access')).toBe(false)
  })

  it('derives its key from SECRET_KEY: a MAC under SECRET_KEY itself (as the session cookie signs) is refused', async () => {
    const body = `eat_${randomString(43)}`
    expect(await format.isWellFormed(withMac(body, expectedMac(encode(SECRET), body)), 'access')).toBe(false)
    expect(await format.isWellFormed(withMac(body, expectedMac(derivedKey(SECRET), body)), 'access')).toBe(true)
  })

  it('refuses any change of one character, and any other length', async () => {
    const token = await format.mint('access')
    for (const index of [5, 30, 50, 60, 64]) {
      const changed = token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1)
      expect(await format.isWellFormed(changed, 'access')).toBe(false)
    }
    expect(await format.isWellFormed(`${token}A`, 'access')).toBe(false)
    expect(await format.isWellFormed(token.slice(0, -1), 'access')).toBe(false)
  })

  it('cannot mint or check anything without a SECRET_KEY', async () => {
    const unkeyed = keyedTokenFormat('')
    await expect(unkeyed.mint('access')).rejects.toThrow(/SECRET_KEY/)
    await expect(unkeyed.isWellFormed(await format.mint('access'), 'access')).rejects.toThrow(/SECRET_KEY/)
  })
})

describe('legacy (CRC-only) tokens, minted before the MAC', () => {
  const legacy = withChecksum(`ert_${randomString(43)}`)
  const now = Math.floor(Date.now() / 1000)

  it('are accepted when no end is set, and until LEGACY_TOKEN_FORMAT_UNTIL', async () => {
    expect(await format.isWellFormed(legacy, 'refresh')).toBe(true)
    expect(await keyedTokenFormat(SECRET, now + 60).isWellFormed(legacy, 'refresh')).toBe(true)
    expect(await format.isWellFormed(legacy, 'access')).toBe(false)
  })

  it('are refused after LEGACY_TOKEN_FORMAT_UNTIL', async () => {
    expect(await keyedTokenFormat(SECRET, now - 1).isWellFormed(legacy, 'refresh')).toBe(false)
  })

  it('still need their checksum', async () => {
    const broken = `${legacy.slice(0, -1)}${legacy.endsWith('A') ? 'B' : 'A'}`
    expect(await format.isWellFormed(broken, 'refresh')).toBe(false)
  })
})

describe('tokens imported from django-oauth-toolkit (IMPORTED_TOKENS_UNTIL)', () => {
  // oauthlib's generate_token(): 30 characters of [A-Za-z0-9], no check value.
  const dot = randomString(30)
  const now = Math.floor(Date.now() / 1000)

  it('are refused before any lookup when no import window is set', async () => {
    expect(await format.isWellFormed(dot, 'access')).toBe(false)
    expect(await format.isWellFormed(dot, 'refresh')).toBe(false)
  })

  it('are looked up while the window is open, as access and refresh tokens but never as codes', async () => {
    const open = keyedTokenFormat(SECRET, null, now + 60)
    expect(await open.isWellFormed(dot, 'access')).toBe(true)
    expect(await open.isWellFormed(dot, 'refresh')).toBe(true)
    expect(await open.isWellFormed(dot, 'code')).toBe(false)
  })

  it('are refused after the window, and outside the shape (too short, other characters) always', async () => {
    expect(await keyedTokenFormat(SECRET, null, now - 1).isWellFormed(dot, 'access')).toBe(false)
    const open = keyedTokenFormat(SECRET, null, now + 60)
    expect(await open.isWellFormed(randomString(19), 'access')).toBe(false)
    expect(await open.isWellFormed(`${randomString(29)}-`, 'access')).toBe(false)
  })

  it('do not open a way around the MAC: a forged token of our own shape is still refused', async () => {
    const real = await format.mint('access')
    const forged = withChecksum(real.slice(0, 4) + randomString(real.length - 10))
    expect(await keyedTokenFormat(SECRET, null, now + 60).isWellFormed(forged, 'access')).toBe(false)
  })
})

describe('secrets that are not looked up by value', () => {
  it('client secrets keep the CRC-only shape (compared by digest after the client_id lookup)', () => {
    const secret = mintClientSecret()
    expect(secret).toMatch(/^ecs_[A-Za-z0-9]{49}$/)
    expect(withChecksum(secret.slice(0, -6))).toBe(secret)
  })

  it("DRF Token keys keep DRF's shape: 40 lowercase hex characters", () => {
    expect(mintApiKey()).toMatch(/^[0-9a-f]{40}$/)
  })
})

describe('the shard number, inside the MAC (docs/capacity.md "Token shards")', () => {
  it('a token of shard n is `<prefix>_<2 shard><43 random><12 MAC><6 CRC32>`, the shard covered by the MAC', async () => {
    for (const shard of [1, 7, 61, 62, 3843]) {
      const token = await format.mint('access', shard)
      expect(token).toMatch(/^eat_[A-Za-z0-9]{63}$/)
      expect(token.slice(49, 61)).toBe(expectedMac(derivedKey(SECRET), token.slice(0, 49)))
      expect(await format.shardOf(token, 'access')).toBe(shard)
      expect(await format.isWellFormed(token, 'access')).toBe(true)
    }
  })

  it('shard 0 (the main database) mints the unsharded shape, and tokens of that shape are read as shard 0', async () => {
    const token = await format.mint('refresh', 0)
    expect(token).toHaveLength(65)
    expect(await format.shardOf(token, 'refresh')).toBe(0)
    expect(await format.shardOf(withChecksum(`ert_${randomString(43)}`), 'refresh')).toBe(0)
  })

  it('refuses a forged shard number: another shard with a recomputed checksum fails the MAC', async () => {
    const token = await format.mint('access', 2)
    for (const shard of ['03', '00', '01', 'zz']) {
      const moved = withChecksum(`${token.slice(0, 4)}${shard}${token.slice(6, -6)}`)
      expect(await format.shardOf(moved, 'access')).toBeNull()
      expect(await format.isWellFormed(moved, 'access')).toBe(false)
    }
  })

  it('cannot mint a shard number the format cannot carry', async () => {
    await expect(format.mint('access', 3844)).rejects.toThrow(/shard/)
    await expect(format.mint('access', -1)).rejects.toThrow(/shard/)
    await expect(format.mint('access', 1.5)).rejects.toThrow(/shard/)
  })

  it('imported django-oauth-toolkit tokens are looked up in the shard the import wrote them to', async () => {
    const dot = randomString(30)
    const now = Math.floor(Date.now() / 1000)
    expect(await keyedTokenFormat(SECRET, null, now + 60, 2).shardOf(dot, 'access')).toBe(2)
    expect(await keyedTokenFormat(SECRET, null, now + 60).shardOf(dot, 'refresh')).toBe(0)
  })
})
