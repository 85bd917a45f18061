/**
 * The console's user change form (Django admin's UserAdmin change view): email, names, and the
 * active, staff and superuser flags — the flags by a superuser only, staff changing ordinary users
 * only (src/accounts/rights.ts); each change audited in its own batch; a deactivation ends the
 * user's sessions and stops their tokens as the Deactivate button does; bad input re-shows the form.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications, users } from '../../src/db/schema.ts'
import { issueTokensIf } from '../../src/tokens/issue.ts'
import { db, getPage, hello, login, passwordToken, testStore, tokenDatabases } from '../helpers.ts'
import { auditOf, consolePost, sessionOf } from './admin-helpers.ts'

const userRow = (id: number) => db.select().from(users).where(eq(users.id, id)).get()

/** The form as the page posts it: text fields, and the ticked boxes only. */
function changeForm(values: {
  email?: string
  first_name?: string
  last_name?: string
  is_active?: boolean
  is_staff?: boolean
  is_superuser?: boolean
}) {
  const body: Record<string, string> = {
    email: values.email ?? '',
    first_name: values.first_name ?? '',
    last_name: values.last_name ?? '',
  }
  for (const flag of ['is_active', 'is_staff', 'is_superuser'] as const) if (values[flag]) body[flag] = 'on'
  return body
}

describe('console users: change', () => {
  it('a superuser changes email, names and flags; the change is audited with the fields it changed', async () => {
    const { cookie, user: staff } = await sessionOf('superuser')
    const { user } = await passwordToken()
    const page = await getPage(`/admin/users/${user.id}/change/`, cookie)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(`action="/admin/users/${user.id}/change/"`)
    expect(html).toContain('value="user@example.com"')
    for (const flag of ['is_active', 'is_staff', 'is_superuser']) expect(html).toContain(`name="${flag}"`)
    expect(await (await getPage(`/admin/users/${user.id}/`, cookie)).text()).toContain(
      `href="/admin/users/${user.id}/change/"`,
    )

    const response = await consolePost(
      `/admin/users/${user.id}/change/`,
      cookie,
      changeForm({
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        is_active: true,
        is_staff: true,
      }),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe(`/admin/users/${user.id}/?notice=changed`)
    expect(await userRow(user.id)).toMatchObject({
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      isActive: true,
      isStaff: true,
      isSuperuser: false,
    })
    const [entry] = await auditOf('user', user.id)
    expect(entry).toMatchObject({
      action: 'user.change',
      actorId: staff.id,
      objectRepr: user.username,
      message: 'Changed email address, first name, last name and staff status.',
    })
    const detail = await (await getPage(`/admin/users/${user.id}/?notice=changed`, cookie)).text()
    expect(detail).toContain('The user was changed.')
    expect(detail).toContain('Ada Lovelace')
  })

  it('saving without a change writes nothing and audits nothing', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user } = await passwordToken()
    const response = await consolePost(
      `/admin/users/${user.id}/change/`,
      cookie,
      changeForm({ email: 'user@example.com', is_active: true }),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe(`/admin/users/${user.id}/?notice=unchanged`)
    expect(await auditOf('user', user.id)).toEqual([])
  })

  it('unticking "active" deactivates as the Deactivate button does: sessions end, tokens stop; ticking it restores them', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user, token } = await passwordToken()
    const userCookie = await login(user)
    const off = await consolePost(`/admin/users/${user.id}/change/`, cookie, changeForm({ email: 'user@example.com' }))
    expect(off.status).toBe(303)
    expect((await userRow(user.id))?.isActive).toBe(false)
    expect((await hello(token)).status).toBe(401)
    expect(await (await getPage('/accounts/login/', userCookie)).text()).not.toContain('You are logged in')
    const again = await consolePost(
      `/admin/users/${user.id}/change/`,
      cookie,
      changeForm({ email: 'user@example.com', is_active: true }),
    )
    expect(again.status).toBe(303)
    expect((await hello(token)).status).toBe(200)
    expect((await auditOf('user', user.id)).map((entry) => entry.message)).toEqual([
      'Changed active.',
      'Changed active.',
    ])
  })

  it('unticking "active" raises the user’s fence in every token shard, as the Deactivate button does: a grant that read the user before writes nothing', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user, app } = await passwordToken()
    // What a grant read from a replica that has not seen the change yet.
    const read = await userRow(user.id)
    const client = await db.select().from(applications).where(eq(applications.id, app.id)).get()
    if (!read || !client) throw new Error('missing rows')
    const off = await consolePost(`/admin/users/${user.id}/change/`, cookie, changeForm({ email: 'user@example.com' }))
    expect(off.status).toBe(303)
    for (const { shard } of tokenDatabases()) {
      const grant = {
        userId: user.id,
        username: user.username,
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['read'],
        accessLifetime: 60,
        refreshLifetime: 60,
      }
      const issued = await issueTokensIf(testStore(shard), grant, { application: client, user: read })
      expect(issued, `shard ${shard}`).toBeNull()
    }
  })

  it('bad input re-shows the form with each error under its field, the input kept; nothing is written', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user } = await passwordToken()
    const response = await consolePost(
      `/admin/users/${user.id}/change/`,
      cookie,
      changeForm({ email: 'not an email', first_name: 'x'.repeat(151), last_name: 'Kept', is_active: true }),
    )
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toMatch(/id="email-errors">Enter a valid email address\./)
    expect(html).toMatch(/id="first_name-errors">Ensure this field has no more than 150 characters\./)
    expect(html).toContain('value="not an email"')
    expect(html).toContain('value="Kept"')
    expect(await userRow(user.id)).toMatchObject({ email: 'user@example.com', lastName: '' })
    expect(await auditOf('user', user.id)).toEqual([])
  })

  it('a staff user changes an ordinary user’s email, names and active flag; their rights ticks are not read', async () => {
    const { cookie } = await sessionOf('staff')
    const { user } = await passwordToken()
    const page = await (await getPage(`/admin/users/${user.id}/change/`, cookie)).text()
    expect(page).toContain('name="is_active"')
    expect(page).not.toContain('name="is_staff"')
    expect(page).not.toContain('name="is_superuser"')
    const response = await consolePost(
      `/admin/users/${user.id}/change/`,
      cookie,
      changeForm({ email: 'new@example.com', is_active: true, is_staff: true, is_superuser: true }),
    )
    expect(response.status).toBe(303)
    expect(await userRow(user.id)).toMatchObject({ email: 'new@example.com', isStaff: false, isSuperuser: false })
    expect((await auditOf('user', user.id))[0].message).toBe('Changed email address.')
  })

  it('403 for a staff user on a staff or superuser account, 404 for no such user', async () => {
    const { cookie } = await sessionOf('staff')
    for (const role of ['staff', 'superuser'] as const) {
      const { user: other } = await sessionOf(role)
      expect((await getPage(`/admin/users/${other.id}/change/`, cookie)).status).toBe(403)
      const post = await consolePost(`/admin/users/${other.id}/change/`, cookie, changeForm({ email: 'x@example.com' }))
      expect(post.status).toBe(403)
      expect(await post.text()).toContain('Only superusers may change staff and superuser accounts.')
      expect((await userRow(other.id))?.email).toBe('user@example.com')
    }
    expect((await getPage('/admin/users/99999999/change/', cookie)).status).toBe(404)
    expect((await consolePost('/admin/users/99999999/change/', cookie, changeForm({}))).status).toBe(404)
    // An ordinary user is not let into the console at all.
    const { cookie: ordinary } = await sessionOf('user')
    const { user } = await passwordToken()
    expect((await getPage(`/admin/users/${user.id}/change/`, ordinary)).status).toBe(403)
  })

  it('nobody deactivates themselves or gives up their own rights here', async () => {
    const { cookie, user } = await sessionOf('superuser')
    const response = await consolePost(
      `/admin/users/${user.id}/change/`,
      cookie,
      changeForm({ email: 'me@example.com', is_staff: true }),
    )
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toMatch(/id="is_active-errors">You cannot deactivate your own account\./)
    expect(html).toMatch(/id="is_superuser-errors">You cannot take away your own rights\./)
    expect(await userRow(user.id)).toMatchObject({ email: 'user@example.com', isActive: true, isSuperuser: true })
    expect((await getPage('/admin/', cookie)).status).toBe(200)
  })

  it('a malformed or cross-site post is refused in HTML', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user } = await passwordToken()
    const { SELF } = await import('cloudflare:test')
    const crossSite = await SELF.fetch(`https://example.com/admin/users/${user.id}/change/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example', Cookie: cookie },
      body: 'email=evil%40example.com&is_active=on',
    })
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get('Content-Type')).toContain('text/html')
    const malformed = await SELF.fetch(`https://example.com/admin/users/${user.id}/change/`, {
      method: 'POST',
      redirect: 'manual',
      // A multipart type whose body is not multipart: the form cannot be read.
      headers: { 'Content-Type': 'multipart/form-data; boundary=----x', Origin: 'https://example.com', Cookie: cookie },
      body: 'email=evil%40example.com&is_active=on',
    })
    expect(malformed.status).toBe(400)
    expect(malformed.headers.get('Content-Type')).toContain('text/html')
    expect((await userRow(user.id))?.email).toBe('user@example.com')
  })
})
