import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { users } from '../../src/db/schema.ts'
import { db, getPage, login, makeUser, ORIGIN, postForm } from '../helpers.ts'

describe('/accounts/login/ and /accounts/logout/', () => {
  it('shows a login form that cannot be framed', async () => {
    const response = await getPage('/accounts/login/?next=/o/authorize/%3Fclient_id%3Dx')
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(response.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    const html = await response.text()
    expect(html).toContain('name="password"')
    expect(html).toContain('value="/o/authorize/?client_id=x"')
  })

  it('logs in: a signed, HttpOnly, Secure, SameSite=Lax session cookie with an expiry, then the local next', async () => {
    const user = await makeUser()
    const response = await postForm('/accounts/login/', {
      username: user.username,
      password: user.plainPassword,
      next: '/o/authorize/?client_id=abc',
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/o/authorize/?client_id=abc')
    const cookie = response.headers.get('Set-Cookie') ?? ''
    expect(cookie).toMatch(/^__Host-eot_session=/)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/Secure/)
    expect(cookie).toMatch(/SameSite=Lax/)
    expect(cookie).toMatch(/Max-Age=1209600/)
    const page = await getPage('/accounts/login/', cookie.split(';')[0])
    expect(await page.text()).toContain(`logged in as ${user.username}`)
  })

  it("a session login stamps last_login (Django's update_last_login); a refused one does not", async () => {
    const user = await makeUser()
    const lastLogin = async () =>
      (await db.select({ at: users.lastLogin }).from(users).where(eq(users.id, user.id)).get())?.at ?? null
    expect(await lastLogin()).toBeNull()
    await postForm('/accounts/login/', { username: user.username, password: 'not the password' })
    const before = Date.now() - 1000
    await login(user)
    // Written in waitUntil: the redirect does not wait for it.
    const stamped = await vi.waitFor(async () => {
      const at = await lastLogin()
      if (at === null) throw new Error('last_login not written yet')
      return at
    })
    expect(stamped.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect(stamped.getTime()).toBeLessThanOrEqual(Date.now())
  })

  it('the cookie is not Secure on localhost (plain http in development)', async () => {
    const user = await makeUser()
    const response = await SELF.fetch('http://localhost/accounts/login/', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' },
      body: new URLSearchParams({ username: user.username, password: user.plainPassword }).toString(),
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('Set-Cookie')).not.toMatch(/Secure/)
  })

  it('RFC 9700 §4.11: next must be a local path — no open redirect', async () => {
    const user = await makeUser()
    for (const next of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example/',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/\t/evil.example',
      'evil.example',
    ]) {
      const response = await postForm('/accounts/login/', {
        username: user.username,
        password: user.plainPassword,
        next,
      })
      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toBe('/accounts/login/')
    }
  })

  it('refuses a wrong password or an unknown user with the same message', async () => {
    const user = await makeUser()
    const wrong = await postForm('/accounts/login/', { username: user.username, password: 'wrong' })
    const unknown = await postForm('/accounts/login/', { username: 'nobody-here', password: 'wrong' })
    expect(wrong.status).toBe(400)
    expect(unknown.status).toBe(400)
    expect(wrong.headers.get('Set-Cookie')).toBeNull()
    expect(await wrong.text()).toContain('Please enter a correct username and password')
    expect(await unknown.text()).toContain('Please enter a correct username and password')
  })

  it('refuses an inactive user', async () => {
    const user = await makeUser({ isActive: false })
    expect((await postForm('/accounts/login/', { username: user.username, password: user.plainPassword })).status).toBe(
      400,
    )
  })

  it('CSRF: a login form posted from another origin, or without any origin, is refused', async () => {
    const user = await makeUser()
    const values = { username: user.username, password: user.plainPassword }
    const crossSite = await postForm('/accounts/login/', values, { Origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get('Set-Cookie')).toBeNull()
    const noOrigin = await SELF.fetch(`${ORIGIN}/accounts/login/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(values).toString(),
    })
    expect(noOrigin.status).toBe(403)
  })

  it('a forged or tampered session cookie is no session', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const [name, value] = cookie.split('=')
    const decoded = decodeURIComponent(value)
    const tampered = `${name}=${encodeURIComponent(`999${decoded}`)}`
    expect(await (await getPage('/accounts/login/', tampered)).text()).not.toContain('logged in as')
    expect(await (await getPage('/accounts/login/', '__Host-eot_session=1.1.99999999999.abc')).text()).not.toContain(
      'logged in as',
    )
  })

  it('logout is a POST that clears the cookie; GET only offers the form', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    const get = await getPage('/accounts/logout/', cookie)
    expect(get.status).toBe(200)
    expect(get.headers.get('Set-Cookie')).toBeNull()
    const response = await postForm('/accounts/logout/', {}, { Cookie: cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('Set-Cookie')).toMatch(/^__Host-eot_session=;.*Max-Age=0/)
    const crossSite = await postForm('/accounts/logout/', {}, { Cookie: cookie, Origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
  })

  it('a form body over the limit is refused with 413', async () => {
    const response = await postForm('/accounts/login/', { username: 'x'.repeat(20_000), password: 'y' })
    expect(response.status).toBe(413)
  })

  it('a form body that cannot be parsed is a 400 HTML page on the login and consent forms, not a 500', async () => {
    const unreadable: [string, string][] = [
      ['multipart/form-data; boundary=----x', 'username=a&password=b'],
      ['multipart/form-data', '------x\r\nContent-Disposition: form-data; name="username"\r\n\r\na'],
    ]
    for (const path of ['/accounts/login/', '/o/authorize/']) {
      for (const [contentType, body] of unreadable) {
        const response = await SELF.fetch(`${ORIGIN}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'Content-Type': contentType, Origin: ORIGIN },
          body,
        })
        expect(response.status).toBe(400)
        expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
        expect(await response.text()).toContain('The form could not be read.')
      }
    }
  })

  it('changing the password ends existing sessions', async () => {
    const user = await makeUser()
    const cookie = await login(user)
    await db.update(users).set({ password: 'pbkdf2_sha256$1$x$y' }).where(eq(users.id, user.id))
    expect(await (await getPage('/accounts/login/', cookie)).text()).not.toContain('logged in as')
  })
})
