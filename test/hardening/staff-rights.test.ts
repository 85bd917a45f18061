/**
 * Django admin's model for applications, tokens and keys: what a staff user may do follows from
 * who owns it (src/accounts/rights.ts), whichever door they use. Staff never act on what a
 * superuser (or another staff user) owns, never rotate or retarget someone else's can_introspect
 * application, never change someone else's skip_authorization application, and never turn
 * skip_authorization on: silent consent is a superuser's decision in the console, the management
 * API and the user pages alike. Refusals: the console's 403 page, DRF's 403 JSON, the user pages'
 * form with the refusal under the field.
 */
import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications } from '../../src/db/schema.ts'
import type { NewApplication } from '../../src/oauth/applications.ts'
import { auditOf, consolePost, sessionOf } from '../console/admin-helpers.ts'
import {
  api,
  db,
  getPage,
  hello,
  issueTokens,
  makeApplication,
  ORIGIN,
  REDIRECT_URI,
  testStore,
  unique,
} from '../helpers.ts'

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const ATTACKER = 'https://attacker.example/cb'

const stored = (id: number) => db.select().from(applications).where(eq(applications.id, id)).get()

/** An authorization-code client, as a first-party app of its owner. */
function codeApp(overrides: Partial<NewApplication> = {}) {
  return makeApplication({
    name: unique('Owned '),
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    ...overrides,
  })
}

/** The console's edit form as a browser sends it, with `changes` on top. */
function changeForm(changes: Record<string, string> = {}) {
  return {
    name: 'Changed',
    client_type: 'confidential',
    authorization_grant_type: 'authorization-code',
    redirect_uris: REDIRECT_URI,
    post_logout_redirect_uris: '',
    ...changes,
  }
}

async function expectForbidden(response: Response, message: RegExp) {
  expect(response.status).toBe(403)
  expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
  expect(await response.text()).toMatch(message)
}

/** Every console action on an application, as [method, path, form]. */
function consoleActions(id: number): [string, 'GET' | 'POST', string, Record<string, string>?][] {
  const app = `/admin/applications/${id}/`
  return [
    ['edit form', 'GET', `${app}change/`],
    ['edit', 'POST', `${app}change/`, changeForm({ redirect_uris: ATTACKER, skip_authorization: 'on' })],
    ['rotate page', 'GET', `${app}rotate-secret/`],
    ['rotate', 'POST', `${app}rotate-secret/`],
    ['delete page', 'GET', `${app}delete/`],
    ['delete', 'POST', `${app}delete/`],
    ['revoke-all page', 'GET', `${app}tokens/revoke-all/`],
    ['revoke all', 'POST', `${app}tokens/revoke-all/`],
  ]
}

function send(method: 'GET' | 'POST', path: string, cookie: string, values?: Record<string, string>) {
  return method === 'GET' ? getPage(path, cookie) : consolePost(path, cookie, values)
}

describe('console: what a superuser or another staff user owns is out of a staff user’s reach', () => {
  it('the reported takeover: staff cannot retarget, rotate, delete or revoke a superuser’s app', async () => {
    const { cookie } = await sessionOf('staff')
    const admin = await sessionOf('superuser')
    const app = await codeApp({ userId: admin.user.id })
    const { accessToken } = await issueTokens(testStore(), {
      userId: admin.user.id,
      username: admin.user.username,
      applicationId: app.id,
      clientId: app.clientId,
      scopes: ['read'],
      accessLifetime: 3600,
      refreshLifetime: 86400,
    })
    for (const [label, method, path, values] of consoleActions(app.id)) {
      const response = await send(method, path, cookie, values)
      expect(response.status, label).toBe(403)
      expect(await response.text(), label).toContain('Only superusers may act on what a staff user or superuser owns.')
    }
    const tokenRevoke = await consolePost(`/admin/applications/${app.id}/tokens/access/1/revoke/`, cookie)
    expect(tokenRevoke.status).toBe(403)
    // Nothing changed: the same redirect URI, no skip, the same secret, the token alive.
    expect(await stored(app.id)).toMatchObject({
      redirectUris: [REDIRECT_URI],
      skipAuthorization: false,
      clientSecretHash: app.clientSecretHash,
    })
    expect((await hello(accessToken)).status).toBe(200)
    expect(await auditOf('application', app.id)).toEqual([])
    // The superuser opening /o/authorize/ with the attacker's redirect_uri gets no code.
    const authorize = await SELF.fetch(
      `${ORIGIN}/o/authorize/?${new URLSearchParams({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: ATTACKER,
        scope: 'read',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual', headers: { Cookie: admin.cookie } },
    )
    expect(authorize.headers.get('Location') ?? '').not.toContain('attacker.example')
    // Viewing stays open (the detail page shows no secret).
    expect((await getPage(`/admin/applications/${app.id}/`, cookie)).status).toBe(200)
  })

  it('nor another staff user’s application; their own and ordinary users’ stay theirs to manage', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const colleague = await sessionOf('staff')
    const theirs = await codeApp({ userId: colleague.user.id })
    for (const [label, method, path, values] of consoleActions(theirs.id)) {
      expect((await send(method, path, cookie, values)).status, label).toBe(403)
    }
    const ordinary = await sessionOf('user')
    for (const owner of [staff.id, ordinary.user.id, null]) {
      const app = await codeApp({ userId: owner })
      const changed = await consolePost(`/admin/applications/${app.id}/change/`, cookie, changeForm())
      expect(changed.status, `owner ${owner}`).toBe(303)
      expect((await consolePost(`/admin/applications/${app.id}/rotate-secret/`, cookie)).status).toBe(200)
      expect((await consolePost(`/admin/applications/${app.id}/tokens/revoke-all/`, cookie)).status).toBe(303)
      expect((await consolePost(`/admin/applications/${app.id}/delete/`, cookie)).status).toBe(303)
      expect(await stored(app.id)).toBeUndefined()
    }
  })

  it('add: never for a superuser or another staff user, never with skip_authorization', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const admin = await sessionOf('superuser')
    const colleague = await sessionOf('staff')
    const name = unique('Planted ')
    const add = (values: Record<string, string>) =>
      consolePost('/admin/applications/add/', cookie, { ...changeForm({ name }), ...values })
    await expectForbidden(await add({ owner: admin.user.username }), /Only superusers may act on what a staff user/)
    await expectForbidden(await add({ owner: colleague.user.username }), /Only superusers may act on what a staff/)
    for (const owner of ['', staff.username]) {
      await expectForbidden(
        await add({ owner, skip_authorization: 'on' }),
        /Only superusers may turn on skip_authorization/,
      )
    }
    expect(await db.select().from(applications).where(eq(applications.name, name))).toEqual([])
    // The form offers the box to superusers only.
    expect(await (await getPage('/admin/applications/add/', cookie)).text()).not.toContain('name="skip_authorization"')
    expect(await (await getPage('/admin/applications/add/', admin.cookie)).text()).toContain(
      'name="skip_authorization"',
    )
  })

  it('skip_authorization is the superuser’s: staff may neither turn it on nor touch someone else’s skip app', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const ordinary = await sessionOf('user')
    const plain = await codeApp({ userId: ordinary.user.id })
    await expectForbidden(
      await consolePost(`/admin/applications/${plain.id}/change/`, cookie, changeForm({ skip_authorization: 'on' })),
      /Only superusers may turn on skip_authorization/,
    )
    expect((await stored(plain.id))?.skipAuthorization).toBe(false)
    for (const owner of [ordinary.user.id, null]) {
      const silent = await codeApp({ userId: owner, skipAuthorization: true })
      for (const [label, method, path, values] of [
        ['edit', 'POST', `/admin/applications/${silent.id}/change/`, changeForm({ skip_authorization: 'on' })],
        ['edit form', 'GET', `/admin/applications/${silent.id}/change/`],
        ['rotate', 'POST', `/admin/applications/${silent.id}/rotate-secret/`],
      ] as const) {
        await expectForbidden(
          await send(method, path, cookie, values),
          /Only superusers may change a skip_authorization application that is not yours/,
        )
        expect(label).toBeTruthy()
      }
      expect(await stored(silent.id)).toMatchObject({ name: silent.name, clientSecretHash: silent.clientSecretHash })
    }
    // Their own skip app (a superuser approved it): theirs to edit, and the box is kept as it was.
    const own = await codeApp({ userId: staff.id, skipAuthorization: true })
    expect((await consolePost(`/admin/applications/${own.id}/change/`, cookie, changeForm())).status).toBe(303)
    expect(await stored(own.id)).toMatchObject({ name: 'Changed', skipAuthorization: true })
  })

  it('can_introspect: staff never rotate or retarget someone else’s resource server; renaming is fine', async () => {
    const { cookie } = await sessionOf('staff')
    const app = await codeApp({ userId: null, canIntrospect: true })
    const path = `/admin/applications/${app.id}/`
    const refusal = /Only superusers may rotate the secret of, or retarget, a can_introspect application/
    await expectForbidden(await consolePost(`${path}rotate-secret/`, cookie), refusal)
    await expectForbidden(await getPage(`${path}rotate-secret/`, cookie), refusal)
    await expectForbidden(await consolePost(`${path}change/`, cookie, changeForm({ redirect_uris: ATTACKER })), refusal)
    await expectForbidden(await consolePost(`${path}change/`, cookie, changeForm({ client_type: 'public' })), refusal)
    expect(await stored(app.id)).toMatchObject({
      redirectUris: [REDIRECT_URI],
      clientType: 'confidential',
      clientSecretHash: app.clientSecretHash,
    })
    expect((await consolePost(`${path}change/`, cookie, changeForm({ name: 'Renamed RS' }))).status).toBe(303)
    expect((await stored(app.id))?.name).toBe('Renamed RS')
  })

  it('a superuser may do all of it, and every change of skip_authorization is audited', async () => {
    const { cookie, user: root } = await sessionOf('superuser')
    const owner = await sessionOf('superuser')
    const app = await codeApp({ userId: owner.user.id, canIntrospect: true })
    const path = `/admin/applications/${app.id}/`
    const changed = await consolePost(`${path}change/`, cookie, changeForm({ skip_authorization: 'on' }))
    expect(changed.status).toBe(303)
    expect((await stored(app.id))?.skipAuthorization).toBe(true)
    const [entry] = await auditOf('application', app.id)
    expect(entry).toMatchObject({ actorId: root.id, action: 'application.change' })
    expect(entry.message).toContain('skip_authorization → true')
    expect((await consolePost(`${path}rotate-secret/`, cookie)).status).toBe(200)
    expect((await consolePost(`${path}delete/`, cookie)).status).toBe(303)
  })
})

describe('console: tokens and API keys follow their holder', () => {
  it('a superuser’s tokens and keys cannot be revoked or made by staff, on the user page', async () => {
    const { cookie } = await sessionOf('staff')
    const admin = await sessionOf('superuser')
    const user = `/admin/users/${admin.user.id}/`
    for (const path of [`${user}tokens/revoke-all/`, `${user}api-key/create/`, `${user}tokens/access/1/revoke/`]) {
      expect((await consolePost(path, cookie)).status, path).toBe(403)
    }
  })
})

type Json = Record<string, unknown>

function callApi(method: string, path: string, cookie: string, json?: unknown) {
  return api(path, { method, cookie, json })
}

const API_APP = {
  name: 'Silent',
  client_type: 'confidential',
  authorization_grant_type: ['authorization-code'],
  redirect_uris: [REDIRECT_URI],
}

describe('/o/applications/ JSON: skip_authorization is for superusers (DRF 403)', () => {
  it('staff and ordinary users may neither register with it nor PATCH it on; a superuser may', async () => {
    for (const role of ['staff', 'user'] as const) {
      const { cookie } = await sessionOf(role)
      const refused = await callApi('POST', '/o/applications/', cookie, { ...API_APP, skip_authorization: true })
      expect(refused.status, role).toBe(403)
      expect(await refused.json(), role).toEqual({ detail: 'Only superusers may turn on skip_authorization.' })
      const created = await (await callApi('POST', '/o/applications/', cookie, API_APP)).json<Json>()
      const patched = await callApi('PATCH', `/o/applications/${created.id}/`, cookie, { skip_authorization: true })
      expect(patched.status, role).toBe(403)
      expect(await patched.json()).toEqual({ detail: 'Only superusers may turn on skip_authorization.' })
      expect((await stored(Number(created.id)))?.skipAuthorization).toBe(false)
    }
    const { cookie, user } = await sessionOf('superuser')
    const created = await callApi('POST', '/o/applications/', cookie, { ...API_APP, skip_authorization: true })
    expect(created.status).toBe(201)
    const body = await created.json<Json>()
    expect(body.skip_authorization).toBe(true)
    const [entry] = await auditOf('application', Number(body.id))
    expect(entry).toMatchObject({ actorId: user.id, action: 'application.create' })
    expect(entry.message).toContain('skip_authorization')
  })
})

async function pagePost(path: string, cookie: string, values: Record<string, string>) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Accept: HTML, 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: cookie },
    body: new URLSearchParams(values).toString(),
  })
}

describe('/o/applications/ pages: skip_authorization is for superusers', () => {
  const FORM = {
    name: 'Silent page app',
    client_type: 'confidential',
    authorization_grant_type: 'authorization-code',
    redirect_uris: REDIRECT_URI,
  }

  it('staff see no box, and a forged one is refused under the field; a superuser sees it and sets it', async () => {
    const { cookie } = await sessionOf('staff')
    const formPage = await SELF.fetch(`${ORIGIN}/o/applications/register/`, {
      headers: { Accept: HTML, Cookie: cookie },
    })
    expect(await formPage.text()).not.toContain('name="skip_authorization"')
    const refused = await pagePost('/o/applications/register/', cookie, { ...FORM, skip_authorization: 'on' })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('Only superusers may turn on skip_authorization.')
    const root = await sessionOf('superuser')
    const rootForm = await SELF.fetch(`${ORIGIN}/o/applications/register/`, {
      headers: { Accept: HTML, Cookie: root.cookie },
    })
    expect(await rootForm.text()).toContain('name="skip_authorization"')
    const made = await pagePost('/o/applications/register/', root.cookie, { ...FORM, skip_authorization: 'on' })
    expect(made.status).toBe(303)
    const id = Number(made.headers.get('Location')?.match(/(\d+)\/$/)?.[1])
    expect((await stored(id))?.skipAuthorization).toBe(true)
  })
})
