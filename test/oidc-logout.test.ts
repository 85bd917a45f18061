/**
 * RP-Initiated Logout 1.0 request validation (the piece of /o/logout/ that needs no session).
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { generateSigningKeySet, loadSigningKeys } from '../src/crypto/signing-keys.ts'
import { OAuthError } from '../src/oauth/errors.ts'
import { createIdToken } from '../src/oauth/oidc/id-token.ts'
import { type LogoutRequest, validateLogoutRequest } from '../src/oauth/oidc/logout.ts'
import { db, makeApplication, makeUser } from './helpers.ts'

const ISSUER = 'https://example.com'
const RETURN = 'https://rp.example/logged-out'

async function setup(options: { issuedAt?: number; lifetime?: number; secret?: string; issuer?: string } = {}) {
  const user = await makeUser()
  const app = await makeApplication({ postLogoutRedirectUris: [RETURN, 'https://rp.example/other?x=1'] })
  const hint = await createIdToken({
    keys: await loadSigningKeys(options.secret ?? env.OIDC_SIGNING_KEYS),
    issuer: options.issuer ?? ISSUER,
    clientId: app.clientId,
    user,
    scopes: ['openid'],
    authTime: 1_700_000_000,
    algorithm: 'RS256',
    lifetime: options.lifetime ?? 600,
    issuedAt: options.issuedAt,
  })
  return { user, app, hint }
}

async function validate(request: LogoutRequest) {
  return validateLogoutRequest(db, await loadSigningKeys(env.OIDC_SIGNING_KEYS), ISSUER, request)
}

async function expectInvalid(request: LogoutRequest, message: string) {
  const error = await validate(request).then(
    () => null,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(OAuthError)
  expect((error as OAuthError).code).toBe('invalid_request')
  expect((error as OAuthError).message).toContain(message)
}

describe('validateLogoutRequest', () => {
  it('RP-Initiated Logout §3: a registered post_logout_redirect_uri gets the state appended', async () => {
    const { user, app, hint } = await setup()
    const result = await validate({ id_token_hint: hint, post_logout_redirect_uri: RETURN, state: 'af0ifjsldkj' })
    expect(result).toEqual({
      subject: String(user.id),
      clientId: app.clientId,
      redirectTo: `${RETURN}?state=af0ifjsldkj`,
    })
  })

  it('keeps the registered URI query and adds no state when none was sent', async () => {
    const { hint } = await setup()
    const result = await validate({ id_token_hint: hint, post_logout_redirect_uri: 'https://rp.example/other?x=1' })
    expect(result.redirectTo).toBe('https://rp.example/other?x=1')
  })

  it('RP-Initiated Logout §2: an expired id_token_hint is still accepted', async () => {
    const { user, hint } = await setup({ issuedAt: Math.floor(Date.now() / 1000) - 7200, lifetime: 60 })
    const result = await validate({ id_token_hint: hint })
    expect(result.subject).toBe(String(user.id))
    expect(result.redirectTo).toBeNull()
  })

  it('with no parameters at all, the OP shows its own page', async () => {
    expect(await validate({})).toEqual({ subject: null, clientId: null, redirectTo: null })
  })

  it('client_id alone identifies the client for the redirect', async () => {
    const { app } = await setup()
    const result = await validate({ client_id: app.clientId, post_logout_redirect_uri: RETURN })
    expect(result).toEqual({ subject: null, clientId: app.clientId, redirectTo: RETURN })
  })

  it('a hint verified by an older key still in the set is accepted (key rotation)', async () => {
    const { hint } = await setup()
    const keys = JSON.parse(env.OIDC_SIGNING_KEYS).keys
    const rotated = JSON.stringify({ keys: [...keys, ...JSON.parse(await generateSigningKeySet(['RS256'])).keys] })
    const result = await validateLogoutRequest(db, await loadSigningKeys(rotated), ISSUER, { id_token_hint: hint })
    expect(result.subject).not.toBeNull()
  })

  it('RP-Initiated Logout §2: refuses a hint signed by a key not configured here', async () => {
    const { hint } = await setup({ secret: await generateSigningKeySet(['RS256']) })
    await expectInvalid({ id_token_hint: hint }, 'id_token_hint')
  })

  it('RP-Initiated Logout §2: refuses a hint from another issuer', async () => {
    const { hint } = await setup({ issuer: 'https://other.example' })
    await expectInvalid({ id_token_hint: hint }, 'id_token_hint')
  })

  it('refuses a hint that is not a JWT', async () => {
    await expectInvalid({ id_token_hint: 'not-a-jwt' }, 'id_token_hint')
  })

  it('refuses a hint whose signature was tampered with', async () => {
    const { hint } = await setup()
    const [header, payload] = hint.split('.')
    await expectInvalid({ id_token_hint: `${header}.${payload}.${'A'.repeat(342)}` }, 'id_token_hint')
  })

  it('RP-Initiated Logout §2: refuses a client_id that differs from the hint audience', async () => {
    const { hint } = await setup()
    const other = await makeApplication({ postLogoutRedirectUris: [RETURN] })
    await expectInvalid(
      { id_token_hint: hint, client_id: other.clientId, post_logout_redirect_uri: RETURN },
      'client_id does not match',
    )
  })

  it('RP-Initiated Logout §3: refuses an unregistered post_logout_redirect_uri (no open redirect)', async () => {
    const { hint } = await setup()
    await expectInvalid({ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/' }, 'not registered')
    await expectInvalid({ id_token_hint: hint, post_logout_redirect_uri: `${RETURN}/` }, 'not registered')
  })

  it('refuses post_logout_redirect_uri without a hint or client_id', async () => {
    await expectInvalid({ post_logout_redirect_uri: RETURN }, 'needs id_token_hint or client_id')
  })

  it('refuses post_logout_redirect_uri for an unknown client_id', async () => {
    await expectInvalid({ client_id: 'nobody', post_logout_redirect_uri: RETURN }, 'not registered')
  })

  it('refuses a registered value that is not an absolute URI', async () => {
    const app = await makeApplication({ postLogoutRedirectUris: ['/relative'] })
    await expectInvalid({ client_id: app.clientId, post_logout_redirect_uri: '/relative' }, 'absolute URI')
  })
})
