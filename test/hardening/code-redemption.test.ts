import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { authorizationCodes } from '../../src/db/schema.ts'
import { nowSeconds } from '../../src/lib/time.ts'
import { findAuthorizationCode, markCodeRedeemed } from '../../src/tokens/authorization-codes.ts'
import {
  authorizationCode,
  expectOAuthError,
  form,
  makeApplication,
  postToken,
  REDIRECT_URI,
  testStore,
} from '../helpers.ts'

/** RFC 9700 §4.5: an authorization code is spent by any redemption attempt, failed ones included. */
describe('POST /o/token/ grant_type=authorization_code: a failed redemption spends the code', () => {
  const failures: [string, (params: Record<string, string>) => Promise<Record<string, string>>][] = [
    ['a wrong code_verifier', async (params) => ({ ...params, code_verifier: 'x'.repeat(43) })],
    ['a malformed code_verifier', async (params) => ({ ...params, code_verifier: 'short' })],
    ['no code_verifier', async ({ code_verifier: _verifier, ...params }) => params],
    ['a different redirect_uri', async (params) => ({ ...params, redirect_uri: `${REDIRECT_URI}/other` })],
    [
      'another client',
      async (params) => {
        const other = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
        return { ...params, client_id: other.clientId, client_secret: other.clientSecret ?? '' }
      },
    ],
  ]

  for (const [name, tamper] of failures) {
    it(`RFC 9700 §4.5: after ${name}, the right request fails too`, async () => {
      const { params } = await authorizationCode()
      await expectOAuthError(await postToken(form(await tamper(params))), 400, 'invalid_grant')
      await expectOAuthError(await postToken(form(params)), 400, 'invalid_grant')
    })
  }

  it('RFC 9700 §4.8.2: a verifier sent for a code issued without PKCE spends the code', async () => {
    const { params } = await authorizationCode({ pkce: false })
    await expectOAuthError(await postToken(form({ ...params, code_verifier: 'y'.repeat(43) })), 400, 'invalid_grant')
    await expectOAuthError(await postToken(form(params)), 400, 'invalid_grant')
  })

  it('an untampered redemption still succeeds once', async () => {
    const { params } = await authorizationCode()
    expect((await postToken(form(params))).status).toBe(200)
    await expectOAuthError(await postToken(form(params)), 400, 'invalid_grant')
  })
})

/** One-time credentials are consumed once, while unexpired (src/tokens/consumable.ts): codes too. */
describe('the redemption statement of an authorization code', () => {
  it('matches nothing once the code expired, though a lookup a moment before found it live', async () => {
    const { params } = await authorizationCode()
    const found = await findAuthorizationCode(testStore(), params.code)
    if (found.status !== 'live') throw new Error(`expected a live code, got ${found.status}`)
    await found.where.db
      .update(authorizationCodes)
      .set({ expiresAt: nowSeconds() - 1 })
      .where(eq(authorizationCodes.id, found.grant.id))
    expect(await markCodeRedeemed(found)).toEqual([])
    expect((await findAuthorizationCode(testStore(), params.code)).status).toBe('invalid')
  })

  it('matches a live code once', async () => {
    const { params } = await authorizationCode()
    const found = await findAuthorizationCode(testStore(), params.code)
    if (found.status !== 'live') throw new Error(`expected a live code, got ${found.status}`)
    expect(await markCodeRedeemed(found)).toEqual([{ id: found.grant.id }])
    expect(await markCodeRedeemed(found)).toEqual([])
    expect((await findAuthorizationCode(testStore(), params.code)).status).toBe('reused')
  })
})
