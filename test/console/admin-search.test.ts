/**
 * The console's search boxes take any text up to SEARCH_MAX_LENGTH characters: long e-mail
 * addresses and URL client IDs included (D1 refuses a LIKE pattern over 50 bytes, which once
 * made any search over 48 bytes a 503). Past the limit, a 400 page says so; never a 5xx.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema.ts'
import { SEARCH_MAX_LENGTH } from '../../src/db/search.ts'
import { api, db, getPage, makeApplication, makeUser, passwordToken, unique } from '../helpers.ts'
import { sessionOf } from './admin-helpers.ts'

const search = (path: string, query: string, cookie: string) =>
  getPage(`${path}?${new URLSearchParams({ q: query })}`, cookie)

describe('console search: long queries', () => {
  it('a 60-byte e-mail address finds its user, in any case', async () => {
    const { cookie } = await sessionOf('staff')
    const user = await makeUser()
    const email = `${unique('a-rather-long-mailbox-name-')}@department.example.com`
    expect(email.length).toBeGreaterThan(48)
    await db.update(users).set({ email }).where(eq(users.id, user.id))
    const response = await search('/admin/users/', email.toUpperCase(), cookie)
    expect(response.status).toBe(200)
    const page = await response.text()
    expect(page).toContain('1 user<')
    expect(page).toContain(`>${user.username}</a>`)
  })

  it('a URL client_id (a client ID metadata document) finds its application', async () => {
    const { cookie } = await sessionOf('superuser')
    const clientId = `https://client.example.org/${unique('oauth/metadata-documents/')}/client.json`
    expect(clientId.length).toBeGreaterThan(48)
    await makeApplication({ clientType: 'public', grantTypes: ['authorization-code'], clientId, name: 'URL client' })
    const response = await search('/admin/applications/', clientId, cookie)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('1 application<')
  })

  it("LIKE's wildcards and the escape character are still taken literally", async () => {
    const { cookie } = await sessionOf('staff')
    const page = await (await search('/admin/users/', '%_\\%', cookie)).text()
    expect(page).toContain('0 users<')
  })

  it('a query of exactly SEARCH_MAX_LENGTH characters is searched; one more is a 400 page that says so', async () => {
    const { cookie } = await sessionOf('superuser')
    for (const path of ['/admin/users/', '/admin/applications/']) {
      const longest = await search(path, 'x'.repeat(SEARCH_MAX_LENGTH), cookie)
      expect(longest.status).toBe(200)
      const tooLong = await search(path, 'x'.repeat(SEARCH_MAX_LENGTH + 1), cookie)
      expect(tooLong.status).toBe(400)
      expect(await tooLong.text()).toContain(`at most ${SEARCH_MAX_LENGTH} characters`)
    }
  })

  it('/api/users/ filters (exact, no LIKE) take long values too: 200 and no match', async () => {
    const { token } = await passwordToken('read')
    const long = `${'x'.repeat(300)}@example.com`
    const response = await api(`/api/users/?${new URLSearchParams({ email: long, username: long })}`, {
      authorization: `Bearer ${token}`,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ count: 0, results: [] })
  })
})
