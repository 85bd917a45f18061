/**
 * The replay store of one-time JWTs (src/tokens/replay.ts), on its own: what the client
 * assertions use now and DPoP proofs and ID-JAG assertions will use.
 */
import { describe, expect, it } from 'vitest'
import { recordJtiUse } from '../../src/tokens/replay.ts'
import { db, unique } from '../helpers.ts'

const NOW = Math.floor(Date.now() / 1000)

function use(jti: string, issuer = 'client-a', expiresAt = NOW + 60) {
  return { purpose: 'client_assertion' as const, issuer, jti, expiresAt }
}

describe('recordJtiUse', () => {
  it('true the first time, false for every copy until the JWT expires', async () => {
    const jti = unique('jti')
    expect(await recordJtiUse(db, use(jti), NOW)).toBe(true)
    expect(await recordJtiUse(db, use(jti), NOW)).toBe(false)
    expect(await recordJtiUse(db, use(jti), NOW + 59)).toBe(false)
  })

  it('the same jti from another issuer is another JWT', async () => {
    const jti = unique('jti')
    expect(await recordJtiUse(db, use(jti, 'client-a'), NOW)).toBe(true)
    expect(await recordJtiUse(db, use(jti, 'client-b'), NOW)).toBe(true)
  })

  it('a record past its JWT’s exp (not yet cleaned up) no longer counts', async () => {
    const jti = unique('jti')
    expect(await recordJtiUse(db, use(jti, 'client-a', NOW + 10), NOW)).toBe(true)
    expect(await recordJtiUse(db, use(jti, 'client-a', NOW + 100), NOW + 10)).toBe(true)
    expect(await recordJtiUse(db, use(jti, 'client-a', NOW + 100), NOW + 11)).toBe(false)
  })

  it('of concurrent uses of one jti, exactly one is the first', async () => {
    const jti = unique('jti')
    const results = await Promise.all(Array.from({ length: 20 }, () => recordJtiUse(db, use(jti), NOW)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })
})
