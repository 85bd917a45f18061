/**
 * Who reaches the operator console: staff sessions only. Every route is tried logged out (login
 * redirect with a safe `next`), as a non-staff user (403 page), with a Bearer token and a DRF
 * key instead of a session (login redirect), and cross-origin (403, nothing changed).
 */
import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema.ts'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { db, getPage, makeApplication, makeUser, ORIGIN, passwordToken, testStore } from '../helpers.ts'
import { auditOf, consolePost, sessionOf } from './admin-helpers.ts'

let target: Awaited<ReturnType<typeof makeUser>>
let appId: number
let routes: [method: 'GET' | 'POST', path: string][]

beforeAll(async () => {
  target = await makeUser()
  appId = (await makeApplication({ name: 'Access target app' })).id
  const user = `/admin/users/${target.id}/`
  const app = `/admin/applications/${appId}/`
  routes = [
    ['GET', '/admin/'],
    ['GET', '/admin/log/'],
    ['GET', '/admin/users/'],
    ['GET', '/admin/users/?q=user'],
    ['GET', '/admin/users/add/'],
    ['POST', '/admin/users/add/'],
    ['GET', user],
    ['GET', `${user}password/`],
    ['POST', `${user}password/`],
    ['POST', `${user}deactivate/`],
    ['POST', `${user}reactivate/`],
    ['GET', `${user}logout-everywhere/`],
    ['POST', `${user}logout-everywhere/`],
    ['GET', `${user}delete/`],
    ['POST', `${user}delete/`],
    ['POST', `${user}tokens/access/1/revoke/`],
    ['GET', `${user}tokens/revoke-all/`],
    ['POST', `${user}tokens/revoke-all/`],
    ['POST', `${user}api-key/create/`],
    ['POST', `${user}api-key/1/revoke/`],
    ['GET', '/admin/applications/'],
    ['GET', '/admin/applications/add/'],
    ['POST', '/admin/applications/add/'],
    ['GET', app],
    ['GET', `${app}change/`],
    ['POST', `${app}change/`],
    ['GET', `${app}rotate-secret/`],
    ['POST', `${app}rotate-secret/`],
    ['GET', `${app}delete/`],
    ['POST', `${app}delete/`],
    ['POST', `${app}tokens/refresh/1/revoke/`],
    ['GET', `${app}tokens/revoke-all/`],
    ['POST', `${app}tokens/revoke-all/`],
  ]
})

function send(method: 'GET' | 'POST', path: string, headers: Record<string, string>) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    redirect: 'manual',
    headers:
      method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, ...headers } : headers,
    body: method === 'POST' ? '' : undefined,
  })
}

async function expectUnchanged() {
  const row = await db.select().from(users).where(eq(users.id, target.id)).get()
  expect(row?.isActive).toBe(true)
  expect(row?.password).toBe(target.password)
  expect(await auditOf('user', target.id)).toEqual([])
  expect(await auditOf('application', appId)).toEqual([])
}

describe('operator console access', () => {
  it('logged out: every route redirects to the login page with a local next, and shows no data', async () => {
    for (const [method, path] of routes) {
      const response = await send(method, path, {})
      expect(response.status, `${method} ${path}`).toBe(302)
      const location = new URL(response.headers.get('Location') ?? '', ORIGIN)
      expect(location.pathname).toBe('/accounts/login/')
      expect(location.searchParams.get('next')).toBe(method === 'GET' ? path : '/admin/')
      expect(await response.text()).toBe('')
    }
    await expectUnchanged()
  })

  it('a non-staff session gets a 403 page on every route, without console data', async () => {
    const { cookie } = await sessionOf('user')
    for (const [method, path] of routes) {
      const response = await send(method, path, { Cookie: cookie })
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(response.headers.get('Content-Type')).toContain('text/html')
      const page = await response.text()
      expect(page).toContain('for staff users only')
      expect(page).not.toContain(target.username)
    }
    await expectUnchanged()
  })

  it('is_superuser without is_staff does not open the console (as Django)', async () => {
    const user = await makeUser()
    await db.update(users).set({ isSuperuser: true }).where(eq(users.id, user.id))
    const { login } = await import('../helpers.ts')
    const response = await getPage('/admin/users/', await login(user))
    expect(response.status).toBe(403)
  })

  it('a Bearer token or DRF key of any scope is not a session: login redirect, no data', async () => {
    const { token, user } = await passwordToken('read write introspection')
    await db.update(users).set({ isStaff: true, isSuperuser: true }).where(eq(users.id, user.id))
    const { key } = await issueApiKey(testStore(), user.id)
    for (const authorization of [`Bearer ${token}`, `Token ${key}`]) {
      for (const [method, path] of routes) {
        const response = await send(method, path, { Authorization: authorization })
        expect(response.status, `${method} ${path}`).toBe(302)
        expect(response.headers.get('Location')).toMatch(/^\/accounts\/login\/\?next=/)
      }
    }
    await expectUnchanged()
  })

  it('a staff session opens every page (GET 200 or its form)', async () => {
    const { cookie } = await sessionOf('superuser')
    for (const [method, path] of routes.filter(([method]) => method === 'GET')) {
      const response = await send(method, path, { Cookie: cookie })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(response.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    }
  })

  it('cross-origin POSTs are refused on every route, whatever the Content-Type, and change nothing', async () => {
    const { cookie } = await sessionOf('superuser')
    for (const [, path] of routes.filter(([method]) => method === 'POST')) {
      const refused: Record<string, string>[] = [
        { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
        { Origin: 'https://evil.example', 'Content-Type': 'application/json' },
        { 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' },
      ]
      for (const headers of refused) {
        const response = await SELF.fetch(`${ORIGIN}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { Cookie: cookie, ...headers },
          body: 'password1=x&password2=x',
        })
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(403)
        expect(await response.text()).toContain('not sent from this site')
      }
    }
    await expectUnchanged()
  })

  it('404 pages for missing or malformed objects and unknown paths; 405 for other methods', async () => {
    const { cookie } = await sessionOf('superuser')
    for (const path of [
      '/admin/users/999999/',
      '/admin/users/abc/',
      '/admin/users/999999/password/',
      '/admin/applications/999999/',
      '/admin/applications/999999/change/',
      '/admin/nothing/',
      '/admin/users/?page=99',
      '/admin/users/?page=0',
      '/admin/log/?page=abc',
      '/admin/log/?object_type=nothing',
    ]) {
      const response = await getPage(path, cookie)
      expect(response.status, path).toBe(404)
      expect(response.headers.get('Content-Type')).toContain('text/html')
    }
    for (const path of [
      '/admin/users/999999/deactivate/',
      '/admin/applications/999999/rotate-secret/',
      `/admin/users/${target.id}/tokens/access/999999/revoke/`,
      `/admin/users/${target.id}/tokens/bogus/1/revoke/`,
      `/admin/users/${target.id}/api-key/999999/revoke/`,
    ]) {
      expect((await consolePost(path, cookie)).status, path).toBe(404)
    }
    const put = await SELF.fetch(`${ORIGIN}/admin/users/`, {
      method: 'PUT',
      headers: { Cookie: cookie, Origin: ORIGIN },
    })
    expect(put.status).toBe(405)
    expect(put.headers.get('Allow')).toBe('GET, HEAD')
    await expectUnchanged()
  })
})
