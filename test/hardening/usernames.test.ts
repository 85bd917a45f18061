/**
 * Usernames are NFKC-normalised (Django's AbstractBaseUser.normalize_username and
 * the login form's UsernameField) at creation and at every login, and a new username that differs
 * from an existing one only in case is refused (UserCreationForm's `username__iexact` check).
 */
import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createUser, findUserByUsername } from '../../src/accounts/users.ts'
import { users } from '../../src/db/schema.ts'
import {
  api,
  db,
  form,
  getPage,
  inEveryTokenDatabase,
  makeApplication,
  passwordToken,
  postForm,
  postToken,
  unique,
} from '../helpers.ts'

const PASSWORD = 'correct horse battery staple'
const TAKEN = { username: ['A user with that username already exists.'] }

/** ASCII letters and digits → their fullwidth forms (U+FF01…): NFKC maps them back. */
function fullwidth(text: string): string {
  return text.replace(/[!-~]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0))
}

/** An existing user whose name starts with "admin", the name a look-alike would imitate. */
async function admin() {
  const username = unique('admin')
  const user = await createUser(db, { username, password: PASSWORD })
  return { ...user, username }
}

async function writer() {
  const { token } = await passwordToken('read write')
  return `Bearer ${token}`
}

describe('usernames are NFKC-normalised and unique regardless of case', () => {
  it('POST /api/users/ refuses ａｄｍｉｎ (fullwidth), ᵃdmin and ADMIN when admin exists', async () => {
    const authorization = await writer()
    const existing = await admin()
    for (const variant of [
      fullwidth(existing.username),
      `\u1d43${existing.username.slice(1)}`,
      existing.username.toUpperCase(),
    ]) {
      const response = await api('/api/users/', {
        authorization,
        json: { username: variant, password: 'plaid kettle orbit 42' },
      })
      expect(response.status, variant).toBe(400)
      expect(await response.json()).toEqual(TAKEN)
    }
    const rows = await db.select({ id: users.id }).from(users).where(eq(users.id, existing.id)).all()
    expect(rows).toHaveLength(1)
  })

  it('POST /api/users/ stores the NFKC form of a new username', async () => {
    const authorization = await writer()
    const username = unique('fresh')
    const response = await api('/api/users/', {
      authorization,
      json: { username: fullwidth(username), password: 'plaid kettle orbit 42' },
    })
    expect(response.status).toBe(201)
    expect(await response.json()).toMatchObject({ username })
    expect((await findUserByUsername(db, username))?.username).toBe(username)
  })

  it('POST /api/users/ checks the length of the normalised username (Django validates after to_python)', async () => {
    const authorization = await writer()
    // U+FDFA expands to 18 characters under NFKC: 9 of them are 162 characters once normalised.
    const response = await api('/api/users/', {
      authorization,
      json: { username: '\ufdfa'.repeat(9), password: 'plaid kettle orbit 42' },
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ username: expect.any(Array) })
  })

  it('createUser (every creation path: API, CLI createsuperuser, demo) normalises and refuses case duplicates', async () => {
    const existing = await admin()
    const variant = unique('cli')
    const created = await createUser(db, { username: fullwidth(variant), password: PASSWORD })
    expect(created.username).toBe(variant)
    await expect(createUser(db, { username: existing.username.toUpperCase(), password: PASSWORD })).rejects.toThrow()
    await expect(
      createUser(db, { username: `\u1d43${existing.username.slice(1)}`, password: PASSWORD }),
    ).rejects.toThrow()
  })

  it('logging in as ａｄｍｉｎ with admin’s password logs in admin on every login path', async () => {
    const existing = await admin()
    const typed = fullwidth(existing.username)

    const page = await postForm('/accounts/login/', { username: typed, password: PASSWORD })
    expect(page.status).toBe(302)
    const cookie = (page.headers.get('Set-Cookie') ?? '').split(';')[0]
    expect(await (await getPage('/accounts/login/', cookie)).text()).toContain(existing.username)

    const app = await makeApplication()
    const grant = await postToken(
      form({
        grant_type: 'password',
        username: typed,
        password: PASSWORD,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(grant.status).toBe(200)
    const issued = await inEveryTokenDatabase('SELECT user_id FROM access_tokens WHERE application_id = ?', app.id)
    expect(issued).toEqual([{ user_id: existing.id }])

    const key = await api('/api-token-auth/', { form: { username: typed, password: PASSWORD } })
    expect(key.status).toBe(200)
  })

  it('login stays exact on the normalised username (Django ModelBackend): ADMIN is not admin', async () => {
    const existing = await admin()
    const page = await postForm('/accounts/login/', { username: existing.username.toUpperCase(), password: PASSWORD })
    expect(page.status).toBe(400)
  })

  it('migration 0005_username_ci keeps existing rows that already collide ignoring case (only the oldest gets the key)', async () => {
    const migration = env.TEST_MIGRATIONS.find((entry) => entry.name.includes('_username_ci'))
    if (!migration) throw new Error('migration 0005_username_ci not found')
    // The migration's own statements, run on a scratch copy of the users table's relevant columns.
    const table = `users_before_username_ci_${Date.now().toString(36)}`
    await env.DB.prepare(
      `CREATE TABLE ${table} (id integer PRIMARY KEY AUTOINCREMENT, username text NOT NULL UNIQUE, password text NOT NULL)`,
    ).run()
    await env.DB.prepare(
      `INSERT INTO ${table} (username, password) VALUES ('admin', 'x'), ('Admin', 'x'), ('ADMIN', 'x'), ('Zoë', 'x'), ('bob', 'x')`,
    ).run()
    for (const query of migration.queries) {
      await env.DB.prepare(
        query.replaceAll('`users`', table).replaceAll('users_username_key_unique', `${table}_key`),
      ).run()
    }
    const rows = await env.DB.prepare(`SELECT username, username_key FROM ${table} ORDER BY id`).all()
    expect(rows.results).toEqual([
      { username: 'admin', username_key: 'admin' },
      { username: 'Admin', username_key: null },
      { username: 'ADMIN', username_key: null },
      { username: 'Zoë', username_key: 'zoë' },
      { username: 'bob', username_key: 'bob' },
    ])
    await expect(
      env.DB.prepare(`INSERT INTO ${table} (username, username_key, password) VALUES ('aDmin', 'admin', 'x')`).run(),
    ).rejects.toThrow(/UNIQUE/)
    await env.DB.prepare(`DROP TABLE ${table}`).run()
  })
})
