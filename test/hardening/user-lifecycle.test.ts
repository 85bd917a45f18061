/**
 * What ends a user's credentials: deactivation, a password change
 * and deletion stop the user's cached access tokens and DRF key at once, in KV and in this
 * isolate's memory tier (turned on here; vitest.config.ts turns it off for other tests), and
 * end every copy of the user's session cookie.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { activateUser, deactivateUser, deleteUser, setPassword } from '../../src/accounts/user-lifecycle.ts'
import { replaceApiKeys } from '../../src/tokens/api-keys.ts'
import {
  cachedInKv,
  fetchWorker,
  form,
  getPage,
  login,
  makeApplication,
  makeUser,
  passwordToken,
  postToken,
  refreshGrant,
  testStore,
} from '../helpers.ts'

/** The test bindings with the isolate-memory tier on (as in production). */
const memoryOn = { ...env, TOKEN_MEMORY_CACHE_SECONDS: '30', TOKEN_NEGATIVE_CACHE_SECONDS: '0' } as unknown as Env

async function hello(authorization: string) {
  const request = new Request('https://example.com/api/hello', { headers: { Authorization: authorization } })
  // Lets the cache write-backs finish, so the credential is in KV and memory before the event.
  return (await fetchWorker(request, memoryOn)).status
}

async function sessionWorks(cookie: string, username: string): Promise<boolean> {
  const page = await getPage('/accounts/login/', cookie)
  return (await page.text()).includes(`You are logged in as ${username}.`)
}

/** A user with a used (so cached) access token, a used DRF key and a browser session. */
async function userWithCredentials() {
  const { user, app, token, refreshToken } = await passwordToken()
  const key = (await replaceApiKeys(testStore(), user.id)).key
  const bearer = `Bearer ${token}`
  const drf = `Token ${key}`
  for (const authorization of [bearer, drf, bearer, drf]) expect(await hello(authorization)).toBe(200)
  expect(await cachedInKv(token)).toBe(true)
  const cookie = await login(user)
  expect(await sessionWorks(cookie, user.username)).toBe(true)
  return { user, app, token, refreshToken, bearer, drf, cookie }
}

describe('deactivation', () => {
  it('the cached access token and DRF key stop working at once; the copied session cookie too', async () => {
    const { user, token, bearer, drf, cookie } = await userWithCredentials()
    await deactivateUser(testStore(), user.id)
    expect(await hello(bearer)).toBe(401)
    expect(await hello(drf)).toBe(401)
    expect(await cachedInKv(token)).toBe(false)
    expect(await sessionWorks(cookie, user.username)).toBe(false)
  })

  it('reactivation restores the tokens (kept in D1, as DOT), not the sessions', async () => {
    const { user, bearer, drf, cookie } = await userWithCredentials()
    await deactivateUser(testStore(), user.id)
    expect(await hello(bearer)).toBe(401)
    await activateUser(testStore().db, user.id)
    expect(await hello(bearer)).toBe(200)
    expect(await hello(drf)).toBe(200)
    expect(await sessionWorks(cookie, user.username)).toBe(false)
    expect(await sessionWorks(await login(user), user.username)).toBe(true)
  })

  it('reactivation forgets the refusals this isolate remembered (negative cache on, as in production)', async () => {
    const { user, bearer, drf } = await userWithCredentials()
    const negativeOn = { ...memoryOn, TOKEN_NEGATIVE_CACHE_SECONDS: '60' } as Env
    const helloRemembering = async (authorization: string) =>
      (
        await fetchWorker(
          new Request('https://example.com/api/hello', { headers: { Authorization: authorization } }),
          negativeOn,
        )
      ).status
    await deactivateUser(testStore(), user.id)
    // Refused while inactive: D1 does not vouch for them, so this isolate remembers them as unknown.
    expect(await helloRemembering(bearer)).toBe(401)
    expect(await helloRemembering(drf)).toBe(401)
    await activateUser(testStore().db, user.id)
    // At once here, not TOKEN_NEGATIVE_CACHE_SECONDS later (other isolates: SECURITY.md).
    expect(await helloRemembering(bearer)).toBe(200)
    expect(await helloRemembering(drf)).toBe(200)
  })

  it('other users keep their tokens', async () => {
    const victim = await userWithCredentials()
    const bystander = await userWithCredentials()
    await deactivateUser(testStore(), victim.user.id)
    expect(await hello(bystander.bearer)).toBe(200)
    expect(await hello(bystander.drf)).toBe(200)
    expect(await sessionWorks(bystander.cookie, bystander.user.username)).toBe(true)
  })
})

describe('password change', () => {
  it('the cached access token, its refresh token and the DRF key are revoked; the copied session cookie ends', async () => {
    const { user, app, token, refreshToken, bearer, drf, cookie } = await userWithCredentials()
    await setPassword(testStore(), user.id, 'a new passphrase for this user')
    expect(await hello(bearer)).toBe(401)
    expect(await hello(drf)).toBe(401)
    expect(await cachedInKv(token)).toBe(false)
    expect(await sessionWorks(cookie, user.username)).toBe(false)
    // RFC 6749 §6: the refresh token minted with the old password is no longer a grant.
    const refreshed = await refreshGrant(app, refreshToken)
    expect(refreshed.status).toBe(400)
    expect((await refreshed.json<{ error: string }>()).error).toBe('invalid_grant')
    // The user stays active: the new password works, the old one does not.
    expect(
      await sessionWorks(await login({ ...user, plainPassword: 'a new passphrase for this user' }), user.username),
    ).toBe(true)
    await expect(login(user)).rejects.toThrow('login failed: 400')
  })
})

describe('deletion', () => {
  it('the cached access token and DRF key stop working at once; the copied session cookie too', async () => {
    const { user, token, bearer, drf, cookie } = await userWithCredentials()
    await deleteUser(testStore(), user.id)
    expect(await hello(bearer)).toBe(401)
    expect(await hello(drf)).toBe(401)
    expect(await cachedInKv(token)).toBe(false)
    expect(await sessionWorks(cookie, user.username)).toBe(false)
  })

  it('tokens issued to an application the deleted user owned stop too (the cascade takes them from D1)', async () => {
    const owner = await makeUser()
    const app = await makeApplication({ userId: owner.id })
    const other = await makeUser()
    const response = await postToken(
      form({
        grant_type: 'password',
        username: other.username,
        password: other.plainPassword,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    const { access_token: token } = await response.json<{ access_token: string }>()
    expect(await hello(`Bearer ${token}`)).toBe(200)
    await deleteUser(testStore(), owner.id)
    expect(await hello(`Bearer ${token}`)).toBe(401)
    expect(await cachedInKv(token)).toBe(false)
  })
})
