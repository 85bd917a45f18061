/**
 * Password hashing without HTTP or D1: argon2id (WASM) against reference vectors, Django's hash
 * formats, pbkdf2_sha256 above Web Crypto's iteration limit, must_update and unusable hashes.
 */
import { argon2id } from '@noble/hashes/argon2.js'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { argon2Hash } from './argon2.ts'
import { toBase64, toHex, utf8 } from './encoding.ts'
import {
  hashPassword,
  passwordMustUpdate,
  useMinimumPasswordHashCost,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords.ts'
import { WEB_CRYPTO_PBKDF2_MAX_ITERATIONS, webCryptoPbkdf2Sha256 } from './pbkdf2.ts'

// Known answers computed outside this project:
// argon2: the reference implementation's src/test.c (RFC 9106's authors), argon2id v=19 t=2 m=256.
const REFERENCE_ARGON2ID = 'argon2$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4'
const REFERENCE_ARGON2ID_P2 =
  'argon2$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc'
// pbkdf2: python3 hashlib.pbkdf2_hmac('sha256', …); the third is Django 5.2's own test vector.
const DJANGO_PBKDF2_1000 = 'pbkdf2_sha256$1000$saltsaltsalt$sYIePhT5IXESDKvnouJXtE5pTJ6Znbmef4vViYmc9Uc='
const DJANGO_PBKDF2_100001 = 'pbkdf2_sha256$100001$somesalt$1GV1DxIpKawgzTJvgN8pvrKWB4+SdOlq00khZ4dpYPI='
const DJANGO_PBKDF2_1M = 'pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps='

afterEach(() => vi.restoreAllMocks())
// Production's parameters (the test setup lowers the cost of new hashes for other suites).
beforeAll(() => useMinimumPasswordHashCost(false))

// Pure-JS PBKDF2 above Web Crypto's limit takes a while in the test runtime; the 1,000,000-iteration
// vector and the RFC 7914 vectors are checked in test/hardening/legacy-passwords.test.ts.
const SLOW = { timeout: 60_000 }

describe('argon2 (WASM, imported as a module)', () => {
  it('RFC 9106 reference implementation known answer: argon2id v=19 m=256 t=2 p=1', async () => {
    const tag = await argon2Hash(
      utf8('password'),
      utf8('somesalt'),
      { type: 'argon2id', version: 19, memoryKiB: 256, iterations: 2, parallelism: 1 },
      32,
    )
    expect(toHex(tag)).toBe('9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe')
  })

  it('hashes a non-ASCII password over its UTF-8 bytes (same tag as an independent implementation)', async () => {
    const password = utf8('lètmein ✓ 密码')
    const salt = utf8('seasaltseasalt')
    const ours = await argon2Hash(
      password,
      salt,
      { type: 'argon2id', version: 19, memoryKiB: 64, iterations: 2, parallelism: 1 },
      32,
    )
    expect(toHex(ours)).toBe(toHex(argon2id(password, salt, { t: 2, m: 64, p: 1, dkLen: 32 })))
  })

  it('instantiates the WASM from an imported module, never compiling bytes (refused by production Workers)', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile' as never)
    const instantiate = vi.spyOn(WebAssembly, 'instantiate')
    // Above the shared instance's memory: a fresh instance is made for this hash.
    const params = { type: 'argon2id', version: 19, memoryKiB: 32_768, iterations: 1, parallelism: 1 } as const
    expect((await argon2Hash(utf8('password'), utf8('somesalt'), params, 32)).length).toBe(32)
    expect(compile).not.toHaveBeenCalled()
    expect(instantiate).toHaveBeenCalledTimes(1)
    expect(instantiate.mock.calls[0][0]).toBeInstanceOf(WebAssembly.Module)
  })

  it('verifies Django-format argon2 hashes of the reference vectors, one and two lanes', async () => {
    expect(await verifyPassword('password', REFERENCE_ARGON2ID)).toBe(true)
    expect(await verifyPassword('password', REFERENCE_ARGON2ID_P2)).toBe(true)
    expect(await verifyPassword('Password', REFERENCE_ARGON2ID)).toBe(false)
  })
})

describe('hashPassword', () => {
  it('writes Django Argon2PasswordHasher format at the OWASP argon2id minimum', async () => {
    const encoded = await hashPassword('correct horse')
    expect(encoded).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{30}\$[A-Za-z0-9+/]{43}$/)
    expect(await verifyPassword('correct horse', encoded)).toBe(true)
    expect(await verifyPassword('correct horsE', encoded)).toBe(false)
    expect(passwordMustUpdate(encoded)).toBe(false)
  })

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'))
  })
})

describe('Django pbkdf2_sha256', () => {
  it('verifies Django hashes above 100,000 iterations without ever asking Web Crypto for more', SLOW, async () => {
    const requested: number[] = []
    const deriveBits = crypto.subtle.deriveBits.bind(crypto.subtle)
    vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation((algorithm, key, length) => {
      requested.push((algorithm as { iterations: number }).iterations)
      return deriveBits(algorithm, key, length)
    })
    expect(await verifyPassword('password', DJANGO_PBKDF2_100001)).toBe(true)
    expect(await verifyPassword('password', DJANGO_PBKDF2_1000)).toBe(true)
    expect(await verifyPassword('wrong', DJANGO_PBKDF2_1000)).toBe(false)
    expect(requested).toEqual([1000, 1000])
  })

  it('the Web Crypto wrapper refuses 100,001 iterations in every environment (the production limit)', async () => {
    expect(WEB_CRYPTO_PBKDF2_MAX_ITERATIONS).toBe(100_000)
    await expect(webCryptoPbkdf2Sha256(utf8('password'), utf8('somesalt'), 100_001, 32)).rejects.toThrow(RangeError)
    const atLimit = await webCryptoPbkdf2Sha256(utf8('password'), utf8('somesalt'), 100_000, 32)
    expect(toBase64(atLimit)).toBe('3T1szHnuPtH0G/UUYBkJhHXRSewzgPOcCt4r+k668+4=')
  })
})

describe('must_update and unusable hashes', () => {
  it('an older algorithm or weaker parameters must be updated (Django must_update)', () => {
    expect(passwordMustUpdate(DJANGO_PBKDF2_1M)).toBe(true)
    expect(passwordMustUpdate(REFERENCE_ARGON2ID)).toBe(true)
  })

  it('unusable, unknown and malformed hashes never match', async () => {
    for (const encoded of [
      '',
      '!unusablePasswordFromDjango',
      'md5$salt$5f4dcc3b5aa765d61d8327deb882cf99',
      'pbkdf2_sha256$0$salt$abc=',
      'pbkdf2_sha256$99999999999$salt$abc=',
      'argon2$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
      'argon2$argon2id$v=19$m=256,t=2,p=1$c29t!!$nf65',
    ]) {
      expect(await verifyPassword('password', encoded)).toBe(false)
      expect(passwordMustUpdate(encoded)).toBe(false)
    }
    expect(await verifyAgainstDummy('password')).toBe(false)
  })
})
