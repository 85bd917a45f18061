/**
 * The console's users and applications lists sorted as Django admin's changelist sorts (`?o=`,
 * `-` for descending): by the columns an operator sorts by, ties broken by id, the default stable
 * (users by username, as UserAdmin.ordering; applications newest first); the search, the pages
 * and the header links keep the order; an unknown order is a 400 page.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications, users } from '../../src/db/schema.ts'
import { db, getPage, makeApplication, makeUser, unique } from '../helpers.ts'
import { sessionOf } from './admin-helpers.ts'

/** The user ids a users list page links to, in order. */
const userIds = (html: string) =>
  [...html.matchAll(/<td data-label="Username"><a href="\/admin\/users\/(\d+)\/"/g)].map((m) => Number(m[1]))
/** The application ids an applications list page links to, in order. */
const applicationIds = (html: string) =>
  [...html.matchAll(/<td data-label="Name"><a href="\/admin\/applications\/(\d+)\/"/g)].map((m) => Number(m[1]))

describe('console lists: sorting', () => {
  it('users: by username (the default), email or date joined, either way; ties by id', async () => {
    const { cookie } = await sessionOf('staff')
    const marker = unique('sort')
    const { password } = await makeUser()
    // Usernames, emails and join dates in three different orders; two share an email.
    const rows = [
      { username: `${marker}-b`, email: `${marker}-z@example.com`, dateJoined: new Date('2024-03-01T00:00:00Z') },
      { username: `${marker}-c`, email: `${marker}-a@example.com`, dateJoined: new Date('2024-01-01T00:00:00Z') },
      { username: `${marker}-a`, email: `${marker}-a@example.com`, dateJoined: new Date('2024-02-01T00:00:00Z') },
    ]
    const ids: number[] = []
    for (const row of rows) {
      const [user] = await db
        .insert(users)
        .values({ ...row, password })
        .returning()
      ids.push(user.id)
    }
    const [b, c, a] = ids
    const list = async (o?: string) => {
      const response = await getPage(`/admin/users/?q=${marker}${o === undefined ? '' : `&o=${o}`}`, cookie)
      expect(response.status, o).toBe(200)
      return response.text()
    }
    const byDefault = await list()
    expect(userIds(byDefault)).toEqual([a, b, c])
    expect(byDefault).toMatch(
      /aria-sort="ascending"><a href="\/admin\/users\/\?q=[^"]*&amp;o=-username" class="sort">Username ↑/,
    )
    expect(byDefault).toContain(`<a href="/admin/users/?q=${marker}&amp;o=email" class="sort">Email</a>`)
    expect(userIds(await list('-username'))).toEqual([c, b, a])
    expect(userIds(await list('email'))).toEqual([c, a, b])
    expect(userIds(await list('-email'))).toEqual([b, a, c])
    expect(userIds(await list('joined'))).toEqual([c, a, b])
    expect(userIds(await list('-joined'))).toEqual([b, a, c])
  })

  it('users: the pages keep the order and the search', async () => {
    const { cookie } = await sessionOf('staff')
    const marker = unique('pages')
    const { password } = await makeUser()
    for (let index = 0; index < 26; index++) {
      await db.insert(users).values({ username: `${marker}-${String(index).padStart(2, '0')}`, password })
    }
    const first = await (await getPage(`/admin/users/?q=${marker}&o=-username`, cookie)).text()
    expect(first).toContain(`href="/admin/users/?q=${marker}&amp;o=-username&amp;page=2"`)
    const second = await (await getPage(`/admin/users/?q=${marker}&o=-username&page=2`, cookie)).text()
    expect(second).toContain(`>${marker}-00</a>`)
  })

  it('applications: newest first by default, or by name, either way', async () => {
    const { cookie } = await sessionOf('staff')
    const marker = unique('apps')
    const made = []
    for (const [name, created] of [
      [`${marker} beta`, '2024-01-01'],
      [`${marker} alpha`, '2024-03-01'],
      [`${marker} gamma`, '2024-02-01'],
    ]) {
      const application = await makeApplication({ name })
      await db
        .update(applications)
        .set({ createdAt: new Date(`${created}T00:00:00Z`) })
        .where(eq(applications.id, application.id))
      made.push(application.id)
    }
    const [beta, alpha, gamma] = made
    const list = async (o?: string) =>
      applicationIds(await (await getPage(`/admin/applications/?q=${marker}${o ? `&o=${o}` : ''}`, cookie)).text())
    expect(await list()).toEqual([alpha, gamma, beta])
    expect(await list('created')).toEqual([beta, gamma, alpha])
    expect(await list('name')).toEqual([alpha, beta, gamma])
    expect(await list('-name')).toEqual([gamma, beta, alpha])
  })

  it('an order the list does not have is a 400 page in HTML', async () => {
    const { cookie } = await sessionOf('staff')
    for (const path of ['/admin/users/?o=password', '/admin/applications/?o=-client_secret', '/admin/users/?o=-']) {
      const response = await getPage(path, cookie)
      expect(response.status, path).toBe(400)
      expect(response.headers.get('Content-Type')).toContain('text/html')
      expect(await response.text()).toContain('This list cannot be sorted by')
    }
  })
})
