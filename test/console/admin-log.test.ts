/**
 * The console's audit log page: every change listed newest first with who, what, object and
 * when; filtered by actor and by object; paginated.
 */
import { describe, expect, it } from 'vitest'
import { getPage, makeUser } from '../helpers.ts'
import { consolePost, sessionOf } from './admin-helpers.ts'

describe('console audit log', () => {
  it('shows who did what to which object; filters by object and by actor', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const target = await makeUser()
    await consolePost(`/admin/users/${target.id}/deactivate/`, cookie)
    await consolePost(`/admin/users/${target.id}/reactivate/`, cookie)
    const byObject = await (await getPage(`/admin/log/?object_type=user&object_id=${target.id}`, cookie)).text()
    expect(byObject).toContain('2 entries')
    expect(byObject.indexOf('user.reactivate')).toBeLessThan(byObject.indexOf('user.deactivate'))
    expect(byObject).toContain(`<a href="/admin/users/${target.id}/">${target.username}</a>`)
    expect(byObject).toContain(staff.username)
    const byActor = await (await getPage(`/admin/log/?actor=${staff.id}`, cookie)).text()
    expect(byActor).toContain('2 entries')
    const other = await sessionOf('staff')
    expect(await (await getPage(`/admin/log/?actor=${other.user.id}`, cookie)).text()).toContain('0 entries')
    const home = await (await getPage('/admin/', cookie)).text()
    expect(home).toContain('Recent actions')
    expect(home).toContain('user.reactivate')
  })

  it('is paginated, 25 entries a page, keeping the filter in the links', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const target = await makeUser()
    for (let index = 0; index < 13; index++) {
      await consolePost(`/admin/users/${target.id}/deactivate/`, cookie)
      await consolePost(`/admin/users/${target.id}/reactivate/`, cookie)
    }
    const first = await (await getPage(`/admin/log/?actor=${staff.id}`, cookie)).text()
    expect(first).toContain('26 entries')
    expect(first.match(/<tr>/g)?.length).toBe(26)
    expect(first).toContain(`href="/admin/log/?actor=${staff.id}&amp;page=2"`)
    const second = await (await getPage(`/admin/log/?actor=${staff.id}&page=2`, cookie)).text()
    expect(second.match(/<tr>/g)?.length).toBe(2)
    expect((await getPage(`/admin/log/?actor=${staff.id}&page=3`, cookie)).status).toBe(404)
    // 26 changes through the Worker: seconds on a loaded machine.
  }, 60_000)
})
