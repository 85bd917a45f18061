/**
 * The browser session: a link never logs anyone out, logging out ends
 * every copy of the cookie (`next` after login: safe-next.test.ts).
 */
import { env } from 'cloudflare:test'
import { serializeSigned } from 'hono/utils/cookie'
import { describe, expect, it } from 'vitest'
import { getPage, login, makeApplication, makeUser, postForm } from '../helpers.ts'

const RETURN = 'https://rp.example/logged-out'

/** Whether the cookie still opens a session: the login page greets a logged-in user by name. */
async function sessionWorks(cookie: string, username: string): Promise<boolean> {
  const page = await getPage('/accounts/login/', cookie)
  return (await page.text()).includes(`You are logged in as ${username}.`)
}

const COOKIE_NAME = '__Host-eot_session'

/** The signed value of a `name=value.signature` session cookie (without its signature). */
function sessionCookieValue(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  return value.slice(0, value.lastIndexOf('.'))
}

/** A session cookie with this value, signed with the server's key as hono/cookie signs it. */
async function signedSessionCookie(value: string): Promise<string> {
  return (await serializeSigned(COOKIE_NAME, value, env.SECRET_KEY, { secure: true, path: '/' })).split(';')[0]
}

function clearsCookie(response: Response): boolean {
  return /eot_session=;.*Max-Age=0/i.test(response.headers.get('Set-Cookie') ?? '')
}

describe('RP-Initiated Logout: confirm counts only on a same-site POST', () => {
  it('RP-Initiated Logout §2: GET /o/logout/?confirm=yes shows the confirmation page and leaves the session valid', async () => {
    const user = await makeUser()
    const app = await makeApplication({ postLogoutRedirectUris: [RETURN] })
    const cookie = await login(user)
    for (const query of [
      'confirm=yes',
      `confirm=yes&client_id=${app.clientId}&post_logout_redirect_uri=${encodeURIComponent(RETURN)}`,
    ]) {
      const response = await getPage(`/o/logout/?${query}`, cookie)
      expect(response.status).toBe(200)
      expect(response.headers.get('Location')).toBeNull()
      expect(clearsCookie(response)).toBe(false)
      expect(await response.text()).toContain('name="confirm"')
      expect(await sessionWorks(cookie, user.username)).toBe(true)
    }
  })

  it('the confirmation form, posted from this site, logs out and ends the copied cookie too', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const response = await postForm('/o/logout/', { confirm: 'yes' }, { Cookie: cookie })
    expect(response.status).toBe(200)
    expect(clearsCookie(response)).toBe(true)
    expect(await sessionWorks(cookie, user.username)).toBe(false)
  })
})

describe('logout ends every copy of the session', () => {
  it('POST /accounts/logout/: a copy of the cookie kept by an attacker no longer works', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const otherDevice = await login(user)
    expect(await sessionWorks(cookie, user.username)).toBe(true)
    const response = await postForm('/accounts/logout/', {}, { Cookie: cookie })
    expect(response.status).toBe(200)
    expect(clearsCookie(response)).toBe(true)
    expect(await sessionWorks(cookie, user.username)).toBe(false)
    // The generation is per user: every session of that user ends, as the security document says.
    expect(await sessionWorks(otherDevice, user.username)).toBe(false)
  })

  it('logging in again after a logout gives a working session; the old cookie stays dead', async () => {
    const user = await makeUser()
    const old = await login(user)
    await postForm('/accounts/logout/', {}, { Cookie: old })
    const fresh = await login(user)
    expect(await sessionWorks(fresh, user.username)).toBe(true)
    expect(await sessionWorks(old, user.username)).toBe(false)
  })

  it('a logout posted from another site is refused and ends nothing', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const response = await postForm('/accounts/logout/', {}, { Cookie: cookie, Origin: 'https://evil.example' })
    expect(response.status).toBe(403)
    expect(await sessionWorks(cookie, user.username)).toBe(true)
  })

  it('a logout without a valid session ends no one else’s sessions', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    await postForm('/accounts/logout/', {}, { Cookie: 'eot_session=forged' })
    expect(await sessionWorks(cookie, user.username)).toBe(true)
  })

  it('a cookie in the format before session generations (no generation) is refused', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const [id, , authTime, expires, tag] = sessionCookieValue(cookie).split('.')
    // Signed with the real key, so only the missing generation can be the reason it is refused.
    const legacy = await signedSessionCookie([id, authTime, expires, tag].join('.'))
    expect(await sessionWorks(legacy, user.username)).toBe(false)
    const same = await signedSessionCookie(sessionCookieValue(cookie))
    expect(await sessionWorks(same, user.username)).toBe(true)
  })
})
