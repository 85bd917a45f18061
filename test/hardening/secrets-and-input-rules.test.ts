/**
 * Three rules that must hold wherever a value is set:
 * - L-6: an imported client's Django secret ends with any new secret: switching the client to
 *   public clears it, a new confidential secret replaces it, and a public client never takes the
 *   secret path, even with a Django hash left from before this rule.
 * - The console sets passwords with the same rules as the users API and the CLI (Django's validators).
 * - Unicode format characters (general category Cf: U+202E, U+200E, U+2066…) are refused in
 *   application and client names and in redirect URIs, in each door's dialect.
 */
import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createapplication } from '../../src/cli/commands/createapplication.ts'
import { applications, users } from '../../src/db/schema.ts'
import { manage } from '../cli.ts'
import { consolePost, sessionOf } from '../console/admin-helpers.ts'
import {
  api,
  db,
  fetchWithSettings,
  form,
  makeApplication,
  makeUser,
  ORIGIN,
  postToken,
  REDIRECT_URI,
  unique,
} from '../helpers.ts'

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const stored = (id: number) => db.select().from(applications).where(eq(applications.id, id)).get()

/** Django's pbkdf2_sha256 encoding of `secret` (a DOT ≥ 2 hashed client secret), cheap for a test. */
async function djangoHash(secret: string): Promise<string> {
  const salt = 'testsalt1234'
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode(salt), iterations: 1000 },
    key,
    256,
  )
  return `pbkdf2_sha256$1000$${salt}$${btoa(String.fromCharCode(...new Uint8Array(bits)))}`
}

/** An application as `manage import-django` leaves a DOT ≥ 2 client: only Django's hash of its secret. */
async function importedClient(secret: string, clientType: 'confidential' | 'public' = 'confidential') {
  const app = await makeApplication({ clientType, grantTypes: ['password'] })
  await db
    .update(applications)
    .set({ clientSecretHash: '', djangoClientSecret: await djangoHash(secret) })
    .where(eq(applications.id, app.id))
  return app
}

function passwordGrant(clientId: string, user: { username: string; plainPassword: string }, secret?: string) {
  return postToken(
    form({
      grant_type: 'password',
      username: user.username,
      password: user.plainPassword,
      client_id: clientId,
      ...(secret === undefined ? {} : { client_secret: secret }),
    }),
  )
}

describe('L-6: any new secret ends an imported Django secret', () => {
  const OLD = 'the-old-django-secret-0123456789abcdef'

  it('public and back to confidential: the old Django secret is refused, the new one works and stays', async () => {
    const { cookie } = await sessionOf('superuser')
    const user = await makeUser()
    const app = await importedClient(OLD)
    const fields = { name: 'Imported', authorization_grant_type: 'password', redirect_uris: '' }
    const toPublic = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      ...fields,
      client_type: 'public',
    })
    expect(toPublic.status).toBe(303)
    expect(await stored(app.id)).toMatchObject({ clientType: 'public', clientSecretHash: '', djangoClientSecret: null })
    const back = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      ...fields,
      client_type: 'confidential',
    })
    expect(back.status).toBe(200)
    const secret = (await back.text()).match(/<code class="secret">(ecs_[A-Za-z0-9]+)<\/code>/)?.[1] ?? ''
    expect(secret).not.toBe('')
    expect((await stored(app.id))?.djangoClientSecret).toBeNull()
    expect((await passwordGrant(app.clientId, user, OLD)).status).toBe(401)
    expect((await passwordGrant(app.clientId, user, secret)).status).toBe(200)
  })

  it('a public client left with a Django hash never takes the secret path', async () => {
    const user = await makeUser()
    const app = await importedClient(OLD, 'public')
    const before = await stored(app.id)
    const withSecret = await passwordGrant(app.clientId, user, OLD)
    expect(withSecret.status).toBe(401)
    expect(await stored(app.id)).toEqual(before)
    expect((await passwordGrant(app.clientId, user)).status).toBe(200)
  })
})

describe('the console sets passwords with Django’s validators, as the API and the CLI do', () => {
  it('123/123 is refused with Django’s messages; the password is unchanged', async () => {
    const { cookie } = await sessionOf('superuser')
    const target = await makeUser()
    const hash = async () => (await db.select().from(users).where(eq(users.id, target.id)).get())?.password
    const before = await hash()
    const weak = await consolePost(`/admin/users/${target.id}/password/`, cookie, {
      password1: '123',
      password2: '123',
    })
    expect(weak.status).toBe(400)
    const page = await weak.text()
    expect(page).toContain('This password is too short. It must contain at least 8 characters.')
    expect(page).toContain('This password is entirely numeric.')
    const similar = await consolePost(`/admin/users/${target.id}/password/`, cookie, {
      password1: `${target.username}1`,
      password2: `${target.username}1`,
    })
    expect(similar.status).toBe(400)
    expect(await similar.text()).toContain('The password is too similar to the username.')
    expect(await hash()).toBe(before)
    const client = await makeApplication({ clientType: 'public' })
    expect((await passwordGrant(client.clientId, { ...target, plainPassword: '123' })).status).toBe(400)
  })

  it('adding a user: the validators’ messages show under the password field', async () => {
    const { cookie } = await sessionOf('superuser')
    const username = unique('weak')
    const response = await consolePost('/admin/users/add/', cookie, { username, password1: '123', password2: '123' })
    expect(response.status).toBe(400)
    expect(await response.text()).toMatch(/id="password1-errors">[^<]*(<br>[^<]*)*This password is too short/)
    expect(await db.select().from(users).where(eq(users.username, username)).get()).toBeUndefined()
  })
})

// U+202E RIGHT-TO-LEFT OVERRIDE, U+200E LEFT-TO-RIGHT MARK, U+2066 LEFT-TO-RIGHT ISOLATE.
const FORMAT_CHARACTERS = ['\u202e', '\u200e', '\u2066']

describe('Unicode format characters are refused in names and redirect URIs', () => {
  it('console: a field error under the name and under the redirect URIs', async () => {
    const { cookie } = await sessionOf('superuser')
    for (const char of FORMAT_CHARACTERS) {
      const name = unique(`Pay${char}lapyaP `)
      const response = await consolePost('/admin/applications/add/', cookie, {
        name,
        client_type: 'confidential',
        authorization_grant_type: 'authorization-code',
        redirect_uris: `https://client.example/${char}cb`,
      })
      expect(response.status).toBe(400)
      const page = await response.text()
      expect(page).toMatch(/id="name-errors">[^<]*format characters/)
      expect(page).toMatch(/id="redirect_uris-errors">[^<]*format characters/)
      expect(await db.select().from(applications).where(eq(applications.name, name)).get()).toBeUndefined()
    }
  })

  it('management API: DRF field errors; the pages: the form with the errors', async () => {
    const { cookie } = await sessionOf('user')
    const json = await api('/o/applications/', {
      method: 'POST',
      cookie,
      json: {
        name: 'Evil\u202eppa',
        client_type: 'confidential',
        authorization_grant_type: ['authorization-code'],
        redirect_uris: ['https://client.example/\u200ecb'],
      },
    })
    expect(json.status).toBe(400)
    expect(await json.json()).toEqual({
      name: ['A name is one line of text without control or format characters (such as U+202E or U+200E).'],
      'redirect_uris.0': ['A URI may not contain Unicode format characters (such as U+202E or U+200E).'],
    })
    const page = await SELF.fetch(`${ORIGIN}/o/applications/register/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Accept: HTML, 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: cookie },
      body: new URLSearchParams({
        name: 'Evil\u2066ppa',
        client_type: 'confidential',
        authorization_grant_type: 'authorization-code',
        redirect_uris: REDIRECT_URI,
      }).toString(),
    })
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('format characters')
  })

  it('CLI: createapplication refuses them, naming the flag', async () => {
    const args = ['--client-type', 'confidential', '--grant-type', 'authorization-code']
    await expect(
      manage(createapplication, '--name', 'Evil\u202eppa', ...args, '--redirect-uri', REDIRECT_URI),
    ).rejects.toThrow(/--name: .*format characters/)
    await expect(
      manage(createapplication, '--name', 'Fine', ...args, '--redirect-uri', 'https://client.example/\u200ecb'),
    ).rejects.toThrow(/--redirect-uri .*format characters/)
  })

  it('dynamic registration: client_name and redirect_uris (RFC 7591 §3.2.2 errors)', async () => {
    const register = (metadata: Record<string, unknown>) =>
      fetchWithSettings(
        new Request(`${ORIGIN}/o/register/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['https://client.example.org/cb'], ...metadata }),
        }),
        { CLIENT_REGISTRATION: 'open' },
      )
    const name = await register({ client_name: 'Evil\u202eppa' })
    expect(name.status).toBe(400)
    expect(await name.json()).toMatchObject({ error: 'invalid_client_metadata' })
    const uri = await register({ redirect_uris: ['https://client.example.org/\u200ecb'] })
    expect(uri.status).toBe(400)
    expect(await uri.json()).toMatchObject({ error: 'invalid_redirect_uri' })
  })
})
