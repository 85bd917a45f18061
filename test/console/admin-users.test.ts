/**
 * The console's users: search and pagination, detail, create, password change, deactivate /
 * reactivate, log out everywhere, delete — each with its effect on sessions and tokens and its
 * audit entry; validation errors under their field with the input kept; rights between staff.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { findUserByUsername } from '../../src/accounts/users.ts'
import { users } from '../../src/db/schema.ts'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { api, db, getPage, hello, login, makeUser, passwordToken, testStore, unique } from '../helpers.ts'
import { auditOf, consolePost, sessionOf } from './admin-helpers.ts'

function apiKeyHello(key: string) {
  return api('/api/hello', { authorization: `Token ${key}` })
}

describe('console users: search, list, detail', () => {
  it('?q= finds users by part of the username or email, case-insensitively, 25 a page', async () => {
    const { cookie } = await sessionOf('staff')
    const marker = unique('srch')
    // One hashed password for all (hashing 27 would take seconds).
    const { password } = await makeUser()
    for (let index = 0; index < 27; index++) {
      await db.insert(users).values({ username: unique('member'), email: `${marker}-${index}@example.com`, password })
    }
    const first = await getPage(`/admin/users/?q=${marker.toUpperCase()}`, cookie)
    expect(first.status).toBe(200)
    const page1 = await first.text()
    expect(page1).toContain('27 users')
    expect(page1.match(/<tr>/g)?.length).toBe(26) // header + 25
    expect(page1).toContain('Page 1 of 2')
    expect(page1).toContain(`href="/admin/users/?q=${marker.toUpperCase()}&amp;page=2"`)
    const page2 = await (await getPage(`/admin/users/?q=${marker}&page=2`, cookie)).text()
    expect(page2.match(/<tr>/g)?.length).toBe(3)
    expect(page2).toContain('Page 2 of 2')
    expect((await getPage(`/admin/users/?q=${marker}&page=3`, cookie)).status).toBe(404)
  })

  it("the search takes LIKE's wildcards literally", async () => {
    const { cookie } = await sessionOf('staff')
    const page = await (await getPage('/admin/users/?q=%25_%25', cookie)).text()
    expect(page).toContain('0 users')
  })

  it('the detail page shows the user, their applications, live tokens (never their values) and API key', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, app, token, refreshToken } = await passwordToken()
    await db.update((await import('../../src/db/schema.ts')).applications).set({ userId: user.id })
    const { key } = await issueApiKey(testStore(), user.id)
    const page = await (await getPage(`/admin/users/${user.id}/`, cookie)).text()
    expect(page).toContain(user.username)
    expect(page).toContain(app.name)
    expect(page).toContain('eat_…')
    expect(page).toContain('ert_…')
    expect(page).toContain('Key #')
    expect(page).toMatch(/<dt>Last login<\/dt><dd>never<\/dd>/)
    for (const secret of [token, refreshToken, key, token.slice(4, 20), key.slice(0, 12)])
      expect(page).not.toContain(secret)
  })
})

describe('console users: create', () => {
  it('creates a user and audits it; the new user can log in', async () => {
    const { cookie, user: staff } = await sessionOf('superuser')
    const username = unique('made')
    const response = await consolePost('/admin/users/add/', cookie, {
      username,
      email: `${username}@example.com`,
      password1: 'a long enough password',
      password2: 'a long enough password',
      is_staff: 'on',
    })
    expect(response.status).toBe(303)
    const created = await findUserByUsername(db, username)
    expect(created?.isStaff).toBe(true)
    expect(response.headers.get('Location')).toBe(`/admin/users/${created?.id}/?notice=created`)
    expect(await login({ username, plainPassword: 'a long enough password' })).toBeTruthy()
    const [entry] = await auditOf('user', created?.id ?? 0)
    expect(entry).toMatchObject({ action: 'user.create', actorId: staff.id, objectRepr: username })
    expect(entry.message).not.toContain('a long enough password')
  })

  it('re-renders with each error under its field and the input kept; nothing is created', async () => {
    const { cookie } = await sessionOf('staff')
    const taken = await makeUser()
    const response = await consolePost('/admin/users/add/', cookie, {
      username: taken.username.toUpperCase(),
      email: 'not-an-email',
      password1: 'one password',
      password2: 'another password',
    })
    expect(response.status).toBe(400)
    const page = await response.text()
    expect(page).toMatch(/id="username-errors">A user with that username already exists\./)
    expect(page).toMatch(/id="email-errors">Enter a valid email address\./)
    expect(page).toMatch(/id="password2-errors">The two password fields didn’t match\./)
    expect(page).toContain(`value="${taken.username.toUpperCase()}"`)
    expect(page).toContain('value="not-an-email"')
    expect(page).not.toContain('one password')
  })

  it('a blank or too long password gets the API’s messages', async () => {
    const { cookie } = await sessionOf('staff')
    const username = unique('nopw')
    const blank = await consolePost('/admin/users/add/', cookie, { username, password1: '', password2: '' })
    expect(await blank.text()).toMatch(/id="password1-errors">This field may not be blank\./)
    const long = 'x'.repeat(129)
    const tooLong = await consolePost('/admin/users/add/', cookie, { username, password1: long, password2: long })
    expect(await tooLong.text()).toMatch(/id="password1-errors">Ensure this field has no more than 128 characters\./)
    expect(await findUserByUsername(db, username)).toBeUndefined()
  })

  it('a staff user who is not a superuser cannot create staff: the ticks are ignored', async () => {
    const { cookie } = await sessionOf('staff')
    const username = unique('plain')
    const response = await consolePost('/admin/users/add/', cookie, {
      username,
      password1: 'a long enough password',
      password2: 'a long enough password',
      is_staff: 'on',
      is_superuser: 'on',
    })
    expect(response.status).toBe(303)
    expect(await findUserByUsername(db, username)).toMatchObject({ isStaff: false, isSuperuser: false })
  })
})

describe('console users: lifecycle', () => {
  it('deactivate: the user’s token and session stop working; reactivate restores the token; both audited', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, token } = await passwordToken()
    const userCookie = await login(user)
    const response = await consolePost(`/admin/users/${user.id}/deactivate/`, cookie)
    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe(`/admin/users/${user.id}/?notice=deactivated`)
    expect((await hello(token)).status).toBe(401)
    expect((await getPage('/accounts/login/', userCookie)).status).toBe(200)
    expect(await (await getPage('/accounts/login/', userCookie)).text()).not.toContain('You are logged in')
    expect((await consolePost(`/admin/users/${user.id}/reactivate/`, cookie)).status).toBe(303)
    expect((await hello(token)).status).toBe(200)
    expect((await auditOf('user', user.id)).map((entry) => entry.action)).toEqual([
      'user.reactivate',
      'user.deactivate',
    ])
  })

  it('change password: strength rules, then sessions end and tokens and the API key are revoked', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, token } = await passwordToken()
    const { key } = await issueApiKey(testStore(), user.id)
    const mismatch = await consolePost(`/admin/users/${user.id}/password/`, cookie, {
      password1: 'new password one',
      password2: 'new password two',
    })
    expect(mismatch.status).toBe(400)
    expect(await mismatch.text()).toMatch(/id="password2-errors">The two password fields didn’t match\./)
    expect((await hello(token)).status).toBe(200)

    const response = await consolePost(`/admin/users/${user.id}/password/`, cookie, {
      password1: 'a brand new password',
      password2: 'a brand new password',
    })
    expect(response.status).toBe(303)
    expect((await hello(token)).status).toBe(401)
    expect((await apiKeyHello(key)).status).toBe(401)
    await expect(login(user)).rejects.toThrow()
    expect(await login({ username: user.username, plainPassword: 'a brand new password' })).toBeTruthy()
    const [entry] = await auditOf('user', user.id)
    expect(entry.action).toBe('user.password')
    expect(JSON.stringify(entry)).not.toContain('a brand new password')
  })

  it('log out everywhere: confirmation page, then sessions, tokens and the API key end; password kept', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, token } = await passwordToken()
    const { key } = await issueApiKey(testStore(), user.id)
    const userCookie = await login(user)
    const confirm = await getPage(`/admin/users/${user.id}/logout-everywhere/`, cookie)
    expect(await confirm.text()).toContain('button danger')
    expect((await hello(token)).status).toBe(200)
    expect((await consolePost(`/admin/users/${user.id}/logout-everywhere/`, cookie)).status).toBe(303)
    expect((await hello(token)).status).toBe(401)
    expect((await apiKeyHello(key)).status).toBe(401)
    expect(await (await getPage('/accounts/login/', userCookie)).text()).not.toContain('You are logged in')
    expect(await login(user)).toBeTruthy()
    expect((await auditOf('user', user.id))[0].action).toBe('user.logout_everywhere')
  })

  it('delete: confirmation page, then the user and their tokens are gone; audited', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, token } = await passwordToken()
    expect((await getPage(`/admin/users/${user.id}/delete/`, cookie)).status).toBe(200)
    const response = await consolePost(`/admin/users/${user.id}/delete/`, cookie)
    expect(response.headers.get('Location')).toBe('/admin/users/?notice=deleted')
    expect(await findUserByUsername(db, user.username)).toBeUndefined()
    expect((await hello(token)).status).toBe(401)
    expect((await getPage(`/admin/users/${user.id}/`, cookie)).status).toBe(404)
    expect((await auditOf('user', user.id))[0]).toMatchObject({ action: 'user.delete', objectRepr: user.username })
  })

  it('staff who are not superusers cannot change staff or superusers; superusers can', async () => {
    const { cookie } = await sessionOf('staff')
    const { user: otherStaff } = await sessionOf('staff')
    for (const [path, send] of [
      [`/admin/users/${otherStaff.id}/password/`, 'GET'],
      [`/admin/users/${otherStaff.id}/deactivate/`, 'POST'],
      [`/admin/users/${otherStaff.id}/logout-everywhere/`, 'POST'],
      [`/admin/users/${otherStaff.id}/delete/`, 'POST'],
    ] as const) {
      const response = send === 'GET' ? await getPage(path, cookie) : await consolePost(path, cookie)
      expect(response.status, path).toBe(403)
    }
    expect((await db.select().from(users).where(eq(users.id, otherStaff.id)).get())?.isActive).toBe(true)
    const superuser = await sessionOf('superuser')
    expect((await consolePost(`/admin/users/${otherStaff.id}/deactivate/`, superuser.cookie)).status).toBe(303)
  })

  it('nobody deactivates or deletes their own account here', async () => {
    const { cookie, user } = await sessionOf('superuser')
    expect((await consolePost(`/admin/users/${user.id}/deactivate/`, cookie)).status).toBe(403)
    expect((await consolePost(`/admin/users/${user.id}/delete/`, cookie)).status).toBe(403)
    expect((await getPage('/admin/', cookie)).status).toBe(200)
  })
})
