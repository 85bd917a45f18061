import { env, SELF } from 'cloudflare:test'
import { count, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { users } from '../../src/db/schema.ts'
import { api, db, makeUser, passwordToken, productionPasswordCost, storeToken, unique } from '../helpers.ts'

const PAGE_SIZE = getConfig(env).pageSize
// Rows inserted straight into D1 for list tests: no password work, and a hash no password matches.
const UNUSABLE_HASH = '!unusable'

type Page = { count: number; next: string | null; previous: string | null; results: Record<string, unknown>[] }

/** `n` users sharing one fresh email, so a filter on it sees exactly them. */
async function seedUsers(n: number, email = `${unique('group')}@example.com`) {
  const rows = Array.from({ length: n }, () => ({ username: unique('u'), email, password: UNUSABLE_HASH }))
  // D1 allows 100 bound parameters per statement; drizzle binds 8 per row here.
  for (let i = 0; i < rows.length; i += 10) await db.insert(users).values(rows.slice(i, i + 10))
  return { email, usernames: rows.map((row) => row.username) }
}

async function reader() {
  const { token } = await passwordToken()
  return `Bearer ${token}`
}

async function listPage(authorization: string, query: string) {
  return api(`/api/users/${query}`, { authorization })
}

describe('GET /api/users/ pagination (DRF PageNumberPagination)', () => {
  const url = (email: string, page?: number) =>
    `https://example.com/api/users/?email=${encodeURIComponent(email)}${page ? `&page=${page}` : ''}`

  it('0 users: page 1 is an empty page (Django allows an empty first page)', async () => {
    const auth = await reader()
    const response = await listPage(auth, `?email=${unique('nobody')}@example.com`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ count: 0, next: null, previous: null, results: [] })
  })

  it('1 user: one page, no links', async () => {
    const auth = await reader()
    const { email, usernames } = await seedUsers(1)
    const body = await (await listPage(auth, `?email=${encodeURIComponent(email)}`)).json<Page>()
    expect(body).toMatchObject({ count: 1, next: null, previous: null })
    expect(body.results.map((user) => user.username)).toEqual(usernames)
  })

  it('PAGE_SIZE users: exactly one full page', async () => {
    const auth = await reader()
    const { email } = await seedUsers(PAGE_SIZE)
    const body = await (await listPage(auth, `?email=${encodeURIComponent(email)}`)).json<Page>()
    expect(body.count).toBe(PAGE_SIZE)
    expect(body.results).toHaveLength(PAGE_SIZE)
    expect(body.next).toBeNull()
    expect((await listPage(auth, `?email=${encodeURIComponent(email)}&page=2`)).status).toBe(404)
  })

  it('PAGE_SIZE + 1 users: two pages with absolute next/previous links that keep the filter', async () => {
    const auth = await reader()
    const { email, usernames } = await seedUsers(PAGE_SIZE + 1)
    const first = await (await listPage(auth, `?email=${encodeURIComponent(email)}`)).json<Page>()
    expect(first).toMatchObject({ count: PAGE_SIZE + 1, next: url(email, 2), previous: null })
    expect(first.results.map((user) => user.username)).toEqual(usernames.slice(0, PAGE_SIZE))
    const second = await (await api(first.next ?? '', { authorization: auth })).json<Page>()
    // DRF drops `page` from the link back to page 1.
    expect(second).toMatchObject({ count: PAGE_SIZE + 1, next: null, previous: url(email) })
    expect(second.results.map((user) => user.username)).toEqual(usernames.slice(PAGE_SIZE))
  })

  it('2 × PAGE_SIZE + 1 users: three pages in stable id order, links on the middle one', async () => {
    const auth = await reader()
    const { email, usernames } = await seedUsers(2 * PAGE_SIZE + 1)
    const middle = await (await listPage(auth, `?email=${encodeURIComponent(email)}&page=2`)).json<Page>()
    expect(middle).toMatchObject({ count: 2 * PAGE_SIZE + 1, next: url(email, 3), previous: url(email) })
    expect(middle.results.map((user) => user.username)).toEqual(usernames.slice(PAGE_SIZE, 2 * PAGE_SIZE))
    const ids = middle.results.map((user) => user.id as number)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    const last = await (await listPage(auth, `?email=${encodeURIComponent(email)}&page=3`)).json<Page>()
    expect(last.results.map((user) => user.username)).toEqual(usernames.slice(2 * PAGE_SIZE))
    expect(last.next).toBeNull()
    const byName = await (await listPage(auth, `?email=${encodeURIComponent(email)}&page=last`)).json<Page>()
    expect(byName).toEqual(last)
  })

  it('a page that is 0, negative, not a number or past the end → 404 Invalid page.', async () => {
    const auth = await reader()
    const { email } = await seedUsers(3)
    for (const page of ['0', '-1', 'abc', '2', '1.5', '', '99999999999999999999']) {
      const response = await listPage(auth, `?email=${encodeURIComponent(email)}&page=${page}`)
      expect(response.status, `page=${page}`).toBe(404)
      expect(await response.json()).toEqual({ detail: 'Invalid page.' })
    }
  })

  it('unfiltered: count is every user, the first page is the lowest ids', async () => {
    const auth = await reader()
    await seedUsers(3)
    const [{ total }] = await db.select({ total: count() }).from(users)
    const body = await (await listPage(auth, '')).json<Page>()
    expect(body.count).toBe(total)
    const lowest = await db.select({ id: users.id }).from(users).orderBy(users.id).limit(PAGE_SIZE)
    expect(body.results.map((user) => user.id)).toEqual(lowest.map((row) => row.id))
  })

  it('results carry public fields only, never the password hash', async () => {
    const auth = await reader()
    const { email } = await seedUsers(1)
    const body = await (await listPage(auth, `?email=${encodeURIComponent(email)}`)).json<Page>()
    expect(Object.keys(body.results[0]).sort()).toEqual(
      ['date_joined', 'email', 'first_name', 'id', 'is_staff', 'last_name', 'username'].sort(),
    )
    expect(JSON.stringify(body)).not.toContain(UNUSABLE_HASH)
  })
})

describe('GET /api/users/ filters (django-filter exact email / username)', () => {
  it('?email= alone, ?username= alone, both combined, and with ?page=', async () => {
    const auth = await reader()
    const { email, usernames } = await seedUsers(3)
    const other = await seedUsers(1)
    const names = async (query: string) =>
      (await (await listPage(auth, query)).json<Page>()).results.map((user) => user.username)

    expect(await names(`?email=${encodeURIComponent(email)}`)).toEqual(usernames)
    expect(await names(`?username=${usernames[1]}`)).toEqual([usernames[1]])
    expect(await names(`?email=${encodeURIComponent(email)}&username=${usernames[2]}`)).toEqual([usernames[2]])
    expect(await names(`?email=${encodeURIComponent(other.email)}&username=${usernames[2]}`)).toEqual([])
    expect(await names(`?username=${usernames[0]}&page=1`)).toEqual([usernames[0]])
  })

  it('matches exactly: no prefix, substring or case-folded match', async () => {
    const auth = await reader()
    const { usernames } = await seedUsers(1)
    for (const query of [usernames[0].slice(0, -1), usernames[0].toUpperCase(), `${usernames[0]}x`]) {
      const body = await (await listPage(auth, `?username=${query}`)).json<Page>()
      expect(body.count, query).toBe(0)
    }
  })

  it('an empty filter value means no filter', async () => {
    const auth = await reader()
    const all = await (await listPage(auth, '')).json<Page>()
    const empty = await (await listPage(auth, '?email=&username=')).json<Page>()
    expect(empty.count).toBe(all.count)
    expect(empty.count).toBeGreaterThan(0)
  })
})

describe('POST /api/users/', () => {
  async function writer() {
    const { token } = await passwordToken('read write')
    return `Bearer ${token}`
  }

  describe('at production password cost', () => {
    // A user made through the API gets a hash at production's parameters.
    productionPasswordCost()

    it('creates a user from JSON: 201 with the user, password hashed and never returned', async () => {
      const authorization = await writer()
      const username = unique('new')
      const response = await api('/api/users/', {
        authorization,
        json: { username, email: 'new@example.com', password: 's3cret-pass' },
      })
      expect(response.status).toBe(201)
      const body = await response.json<Record<string, unknown>>()
      expect(body).toMatchObject({ username, email: 'new@example.com', first_name: '', last_name: '', is_staff: false })
      expect(typeof body.id).toBe('number')
      expect(body).not.toHaveProperty('password')
      expect(JSON.stringify(body)).not.toContain('s3cret-pass')
      const row = await db.select().from(users).where(eq(users.username, username)).get()
      expect(row?.password).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
      // The new user can log in with the password.
      const login = await api('/api-token-auth/', { form: { username, password: 's3cret-pass' } })
      expect(login.status).toBe(200)
    })
  })

  it('creates a user from a form body; email may be left out', async () => {
    const authorization = await writer()
    const username = unique('form')
    const response = await api('/api/users/', { authorization, form: { username, password: 'plaid kettle orbit 42' } })
    expect(response.status).toBe(201)
    expect(await response.json()).toMatchObject({ username, email: '' })
  })

  it('reports every invalid field at once in DRF field-error shape', async () => {
    const authorization = await writer()
    const response = await api('/api/users/', { authorization, json: { username: 'bad name!', email: 'nope' } })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
      email: ['Enter a valid email address.'],
      password: ['This field is required.'],
    })
  })

  it.each([
    ['username missing', { password: 'plaid kettle orbit 42' }, { username: ['This field is required.'] }],
    [
      'username blank',
      { username: '   ', password: 'plaid kettle orbit 42' },
      { username: ['This field may not be blank.'] },
    ],
    [
      'username null',
      { username: null, password: 'plaid kettle orbit 42' },
      { username: ['This field may not be null.'] },
    ],
    [
      'username not a string',
      { username: ['a'], password: 'plaid kettle orbit 42' },
      { username: ['Not a valid string.'] },
    ],
    [
      'username longer than 150',
      { username: 'a'.repeat(151), password: 'plaid kettle orbit 42' },
      { username: ['Ensure this field has no more than 150 characters.'] },
    ],
    [
      'username with a space',
      { username: 'two words', password: 'plaid kettle orbit 42' },
      { username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'] },
    ],
    [
      'email invalid',
      { username: 'ok', email: 'a@b', password: 'plaid kettle orbit 42' },
      { email: ['Enter a valid email address.'] },
    ],
    [
      'email longer than 254',
      { username: 'ok', email: `${'a'.repeat(250)}@example.com`, password: 'plaid kettle orbit 42' },
      { email: ['Ensure this field has no more than 254 characters.'] },
    ],
    ['password missing', { username: 'ok' }, { password: ['This field is required.'] }],
    ['password blank', { username: 'ok', password: '' }, { password: ['This field may not be blank.'] }],
    [
      'password longer than 128',
      { username: 'ok', password: 'p'.repeat(129) },
      { password: ['Ensure this field has no more than 128 characters.'] },
    ],
    // Django's default password validators, the same the CLI applies (src/accounts/password-rules.ts).
    [
      'password short, common and numeric',
      { username: 'ok', password: '1234567' },
      {
        password: [
          'This password is too short. It must contain at least 8 characters.',
          'This password is too common.',
          'This password is entirely numeric.',
        ],
      },
    ],
    [
      'password too similar to the username',
      { username: 'margarethe', password: 'Margarethe!' },
      { password: ['The password is too similar to the username.'] },
    ],
    ['empty body', {}, { username: ['This field is required.'], password: ['This field is required.'] }],
  ])('400 when %s', async (_name, json, expected) => {
    const authorization = await writer()
    const response = await api('/api/users/', { authorization, json })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual(expected)
  })

  it('accepts letters of any script, digits and @.+-_ in usernames (UnicodeUsernameValidator)', async () => {
    const authorization = await writer()
    const username = `Zoë.${unique('a')}@x+y-z_1`
    const response = await api('/api/users/', { authorization, json: { username, password: 'plaid kettle orbit 42' } })
    expect(response.status).toBe(201)
  })

  it('400 "A user with that username already exists." for a taken username, with the other errors', async () => {
    const authorization = await writer()
    const existing = await makeUser()
    const response = await api('/api/users/', {
      authorization,
      json: { username: existing.username, email: 'bad', password: 'plaid kettle orbit 42' },
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      username: ['A user with that username already exists.'],
      email: ['Enter a valid email address.'],
    })
  })

  it('400 for a body that is not a JSON object', async () => {
    const authorization = await writer()
    const response = await api('/api/users/', { authorization, json: ['not', 'an', 'object'] })
    expect(response.status).toBe(400)
  })

  it('415 for a body type DRF does not parse', async () => {
    const authorization = await writer()
    const response = await SELF.fetch('https://example.com/api/users/', {
      method: 'POST',
      headers: { Authorization: authorization, 'Content-Type': 'text/plain' },
      body: 'username=x',
    })
    expect(response.status).toBe(415)
    expect(await response.json()).toHaveProperty('detail')
  })
})

describe('who may call /api/users/ (IsAuthenticated + TokenHasReadWriteScope)', () => {
  const permissionDenied = { detail: 'You do not have permission to perform this action.' }

  it('no credentials → 401', async () => {
    const response = await api('/api/users/')
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('a token without a user (client_credentials) → 403 on /api/users/, but /api/hello accepts it', async () => {
    const token = await storeToken({ scopes: ['read', 'write'] })
    const list = await api('/api/users/', { authorization: `Bearer ${token}` })
    expect(list.status).toBe(403)
    expect(await list.json()).toEqual(permissionDenied)
    const hello = await api('/api/hello', { authorization: `Bearer ${token}` })
    expect(hello.status).toBe(200)
    expect(await hello.text()).toBe('Hello, OAuth2!')
  })

  it('RFC 6750 §3.1: a read-only token may GET but not POST (insufficient_scope, scope="write")', async () => {
    const { token } = await passwordToken('read')
    expect((await api('/api/users/', { authorization: `Bearer ${token}` })).status).toBe(200)
    const response = await api('/api/users/', {
      authorization: `Bearer ${token}`,
      json: { username: unique('x'), password: 'plaid kettle orbit 42' },
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="write", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"',
    )
    expect(await response.json()).toEqual(permissionDenied)
  })

  it('RFC 6750 §3.1: a write-only token may POST but not GET (insufficient_scope, scope="read")', async () => {
    const { token } = await passwordToken('write')
    const response = await api('/api/users/', { authorization: `Bearer ${token}` })
    expect(response.status).toBe(403)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="read", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"',
    )
    expect(await response.json()).toEqual(permissionDenied)
    const created = await api('/api/users/', {
      authorization: `Bearer ${token}`,
      json: { username: unique('w'), password: 'plaid kettle orbit 42' },
    })
    expect(created.status).toBe(201)
  })

  it('a token with neither read nor write may do neither; /api/hello still accepts it', async () => {
    const { token } = await passwordToken('groups')
    expect((await api('/api/users/', { authorization: `Bearer ${token}` })).status).toBe(403)
    const post = await api('/api/users/', { authorization: `Bearer ${token}`, json: {} })
    expect(post.status).toBe(403)
    expect((await api('/api/hello', { authorization: `Bearer ${token}` })).status).toBe(200)
  })

  it('HEAD is a safe method: read is enough', async () => {
    const { token } = await passwordToken('read')
    const response = await api('/api/users/', { method: 'HEAD', authorization: `Bearer ${token}` })
    expect(response.status).toBe(200)
  })

  it('405 with Allow for a method the view does not define', async () => {
    const { token } = await passwordToken()
    const response = await api('/api/users/', { method: 'DELETE', authorization: `Bearer ${token}` })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('GET, HEAD, POST')
    expect(await response.json()).toEqual({ detail: 'Method "DELETE" not allowed.' })
  })
})
