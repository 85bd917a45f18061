/**
 * Signing keys: both secret formats, RFC 7638 kids, which key signs, and refusals.
 */
import { env } from 'cloudflare:test'
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { generateSigningKeySet, loadSigningKeys } from './signing-keys.ts'

async function pem(alg: 'RS256' | 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { pem: await exportPKCS8(privateKey), publicJwk: await exportJWK(publicKey) }
}

function keysOf(set: string): object[] {
  return JSON.parse(set).keys
}

describe('OIDC signing keys', () => {
  it('RFC 7638: a PEM key gets its thumbprint as kid, the same as the same key given as a JWK', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    const fromPem = await loadSigningKeys(await exportPKCS8(privateKey))
    const fromJwk = await loadSigningKeys(JSON.stringify({ keys: [await exportJWK(privateKey)] }))
    const thumbprint = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256')
    expect(fromPem.all.map((key) => key.kid)).toEqual([thumbprint])
    expect(fromJwk.all.map((key) => key.kid)).toEqual([thumbprint])
    expect(fromPem.all[0].alg).toBe('RS256')
  })

  it('reads a PKCS#1 RSA PEM (older `openssl genrsa`, DOT docs) as the same key as its PKCS#8 form', async () => {
    expect(env.TEST_RSA_PKCS1_PEM).toContain('BEGIN RSA PRIVATE KEY')
    const pkcs1 = await loadSigningKeys(env.TEST_RSA_PKCS1_PEM)
    const pkcs8 = await loadSigningKeys(env.TEST_RSA_PKCS8_PEM)
    expect(pkcs1.all[0].kid).toBe(pkcs8.all[0].kid)
    expect(pkcs1.jwks).toEqual(pkcs8.jwks)
  })

  it('reads several concatenated PEM keys, RSA and EC, and the last of each algorithm signs', async () => {
    const [oldRsa, ec, newRsa] = await Promise.all([pem('RS256'), pem('ES256'), pem('RS256')])
    const keys = await loadSigningKeys(`${oldRsa.pem}\n${ec.pem}\n${newRsa.pem}`)
    expect(keys.all.map((key) => key.alg)).toEqual(['RS256', 'ES256', 'RS256'])
    expect(keys.signer('RS256')?.kid).toBe(await calculateJwkThumbprint(newRsa.publicJwk, 'sha256'))
    expect(keys.signer('ES256')?.kid).toBe(await calculateJwkThumbprint(ec.publicJwk, 'sha256'))
    expect(keys.jwks.keys).toHaveLength(3)
  })

  it('the last key of a JWK set signs; a missing algorithm has no signer', async () => {
    const set = JSON.stringify({
      keys: [...keysOf(await generateSigningKeySet(['RS256'])), ...keysOf(await generateSigningKeySet(['RS256']))],
    })
    const keys = await loadSigningKeys(set)
    expect(keys.signer('RS256')).toBe(keys.all[1])
    expect(keys.signer('ES256')).toBeUndefined()
  })

  it('imports signing keys as non-extractable', async () => {
    const keys = await loadSigningKeys(env.OIDC_SIGNING_KEYS)
    for (const key of keys.all) expect(key.privateKey.extractable).toBe(false)
  })

  it('imports a secret once per isolate', async () => {
    const first = loadSigningKeys(env.OIDC_SIGNING_KEYS)
    expect(loadSigningKeys(env.OIDC_SIGNING_KEYS)).toBe(first)
    await first
  })

  it.each([
    ['an unset secret', undefined, 'not set'],
    ['text that is neither PEM nor JSON', 'secret', 'no PEM block'],
    ['malformed JSON', '{"keys": [', 'neither valid JSON'],
    ['an empty JWK set', '{"keys": []}', 'non-empty'],
    ['a public JWK', '{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}', 'private JWK'],
    ['a symmetric JWK', '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', 'private JWK'],
    [
      'an encrypted PEM',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----',
      'pkcs8 -topk8',
    ],
    [
      'a PKCS#1 PEM that is not a key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----',
      'not a usable',
    ],
    ['a PKCS#1 PEM that is not base64', '-----BEGIN RSA PRIVATE KEY-----\n!!\n-----END RSA PRIVATE KEY-----', 'base64'],
    ['a PKCS#8 PEM that is not a key', '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----', 'not a usable'],
  ])('refuses %s', async (_name, secret, message) => {
    await expect(loadSigningKeys(secret)).rejects.toThrow(message)
  })

  it('RFC 7518 §3.3: refuses RSA keys under 2048 bits', async () => {
    const small = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const secret = JSON.stringify({ keys: [await exportJWK(small.privateKey)] })
    await expect(loadSigningKeys(secret)).rejects.toThrow('2048')
  })

  it('OIDC Discovery §3: refuses a set without an RS256 key', async () => {
    await expect(loadSigningKeys(await generateSigningKeySet(['ES256']))).rejects.toThrow('RS256')
  })

  it('refuses the same key listed twice', async () => {
    const [key] = keysOf(await generateSigningKeySet(['RS256']))
    await expect(loadSigningKeys(JSON.stringify({ keys: [key, key] }))).rejects.toThrow('twice')
  })

  it('a failed secret is not cached: the error repeats instead of sticking as a resolved value', async () => {
    await expect(loadSigningKeys('{"keys": []}')).rejects.toThrow()
    await expect(loadSigningKeys('{"keys": []}')).rejects.toThrow()
  })
})
