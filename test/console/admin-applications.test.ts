/**
 * The console's applications, tokens and API keys: list/search, create (secret shown once, only
 * its digest stored), edit with the API's rules (errors under their field, input kept), rotate
 * the secret, delete; live tokens per user and per application without their values, revoke
 * one or all; an API key created (shown once) and revoked. Each change leaves its audit entry.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { accessTokens, applications } from '../../src/db/schema.ts'
import { findApplicationByClientId } from '../../src/oauth/applications.ts'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { publicTokenId } from '../../src/tokens/shards.ts'
import {
  api,
  db,
  form,
  getPage,
  hello,
  makeApplication,
  makeUser,
  passwordToken,
  postToken,
  testStore,
  tokenDbOf,
  unique,
} from '../helpers.ts'
import { auditOf, consolePost, sessionOf } from './admin-helpers.ts'

function passwordGrant(app: { clientId: string }, secret: string, user: { username: string; plainPassword: string }) {
  return postToken(
    form({
      grant_type: 'password',
      username: user.username,
      password: user.plainPassword,
      client_id: app.clientId,
      client_secret: secret,
    }),
  )
}

const VALID = {
  client_type: 'confidential',
  authorization_grant_type: ['password', 'authorization-code'],
  redirect_uris: 'https://one.example/cb\nhttps://two.example/cb',
  post_logout_redirect_uris: 'https://one.example/bye',
}

describe('console applications', () => {
  it('lists and searches every owner’s applications by name, client_id or owner', async () => {
    const { cookie } = await sessionOf('staff')
    const owner = await makeUser()
    const name = unique('Searchable ')
    const app = await makeApplication({ name, userId: owner.id })
    for (const query of [name.toLowerCase(), app.clientId.slice(5, 20), owner.username]) {
      const page = await (await getPage(`/admin/applications/?q=${encodeURIComponent(query)}`, cookie)).text()
      expect(page, query).toContain(`href="/admin/applications/${app.id}/"`)
    }
    const none = await (await getPage(`/admin/applications/?q=${unique('nothing')}`, cookie)).text()
    expect(none).toContain('0 applications')
  })

  it('creates an application for an owner: secret shown once, its digest stored; audited', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const owner = await makeUser()
    const name = unique('Made in console ')
    const response = await consolePost('/admin/applications/add/', cookie, { ...VALID, name, owner: owner.username })
    expect(response.status).toBe(201)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const page = await response.text()
    const secret = page.match(/<code class="secret">(ecs_[A-Za-z0-9]+)<\/code>/)?.[1] ?? ''
    expect(secret).not.toBe('')
    const [row] = await db.select().from(applications).where(eq(applications.name, name))
    expect(row).toMatchObject({
      userId: owner.id,
      redirectUris: ['https://one.example/cb', 'https://two.example/cb'],
      postLogoutRedirectUris: ['https://one.example/bye'],
      grantTypes: ['password', 'authorization-code'],
      clientSecretHash: await sha256Hex(secret),
    })
    expect((await passwordGrant(row, secret, owner)).status).toBe(200)
    expect(await (await getPage(`/admin/applications/${row.id}/`, cookie)).text()).not.toContain(secret)
    const [entry] = await auditOf('application', row.id)
    expect(entry).toMatchObject({ action: 'application.create', actorId: staff.id, objectRepr: name })
    expect(JSON.stringify(entry)).not.toContain(secret)
  })

  it('re-renders the form with the API’s rules under each field and the input kept', async () => {
    const { cookie } = await sessionOf('staff')
    const response = await consolePost('/admin/applications/add/', cookie, {
      name: '  ',
      owner: unique('ghost'),
      client_type: 'public',
      authorization_grant_type: ['client-credentials', 'authorization-code'],
      redirect_uris: 'http://evil.example/cb',
      post_logout_redirect_uris: 'javascript:alert(1)',
    })
    expect(response.status).toBe(400)
    const page = await response.text()
    expect(page).toMatch(/id="name-errors">This field may not be blank\./)
    expect(page).toMatch(/id="owner-errors">There is no user with that username\./)
    expect(page).toMatch(
      /id="authorization_grant_type-errors">Public clients may not use the client-credentials grant\./,
    )
    // A URI's message names its line, as the user pages' form does (one application form).
    expect(page).toMatch(/id="redirect_uris-errors">Line 1: Enter an https URI/)
    expect(page).toMatch(/id="post_logout_redirect_uris-errors">Line 1: Enter an https URI/)
    expect(page).toContain('>http://evil.example/cb</textarea>')
    expect(page).toMatch(/value="public" checked/)
  })

  it('a superuser edits name, URIs, grants and skip_authorization (with the warning); audited with what changed', async () => {
    const { cookie } = await sessionOf('superuser')
    const app = await makeApplication({ name: unique('Before ') })
    const edit = await (await getPage(`/admin/applications/${app.id}/change/`, cookie)).text()
    expect(edit).toContain('consent page is never shown')
    const response = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      ...VALID,
      name: 'After',
      skip_authorization: 'on',
    })
    expect(response.status).toBe(303)
    const row = await findApplicationByClientId(db, app.clientId)
    expect(row).toMatchObject({
      name: 'After',
      skipAuthorization: true,
      redirectUris: ['https://one.example/cb', 'https://two.example/cb'],
    })
    const [entry] = await auditOf('application', app.id)
    expect(entry.action).toBe('application.change')
    expect(entry.message).toContain('name → After')
    expect(entry.message).toContain('skip_authorization → true')
    const invalid = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      ...VALID,
      name: 'x',
      redirect_uris: 'https://ok.example/#frag',
    })
    expect(invalid.status).toBe(400)
    expect(await invalid.text()).toMatch(/id="redirect_uris-errors">Line 1: Enter an https URI/)
  })

  it('making a client public drops its secret; making it confidential shows a new one once', async () => {
    const { cookie } = await sessionOf('staff')
    const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: ['https://a.example/cb'] })
    const fields = {
      name: 'Switch',
      authorization_grant_type: 'authorization-code',
      redirect_uris: 'https://a.example/cb',
    }
    expect(
      (await consolePost(`/admin/applications/${app.id}/change/`, cookie, { ...fields, client_type: 'public' })).status,
    ).toBe(303)
    expect((await findApplicationByClientId(db, app.clientId))?.clientSecretHash).toBe('')
    const back = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      ...fields,
      client_type: 'confidential',
    })
    expect(back.status).toBe(200)
    const secret = (await back.text()).match(/<code class="secret">(ecs_[A-Za-z0-9]+)<\/code>/)?.[1] ?? ''
    expect((await findApplicationByClientId(db, app.clientId))?.clientSecretHash).toBe(await sha256Hex(secret))
  })

  it('rotates the secret behind a confirmation: the old one stops working, the new one (shown once) works', async () => {
    const { cookie } = await sessionOf('staff')
    const user = await makeUser()
    const app = await makeApplication()
    expect((await getPage(`/admin/applications/${app.id}/rotate-secret/`, cookie)).status).toBe(200)
    const response = await consolePost(`/admin/applications/${app.id}/rotate-secret/`, cookie)
    expect(response.status).toBe(200)
    const secret = (await response.text()).match(/<code class="secret">(ecs_[A-Za-z0-9]+)<\/code>/)?.[1] ?? ''
    expect(secret).not.toBe(app.clientSecret)
    expect((await passwordGrant(app, app.clientSecret ?? '', user)).status).toBe(401)
    expect((await passwordGrant(app, secret, user)).status).toBe(200)
    expect((await auditOf('application', app.id))[0].action).toBe('application.rotate_secret')
    const publicApp = await makeApplication({ clientType: 'public', grantTypes: ['password'] })
    expect((await consolePost(`/admin/applications/${publicApp.id}/rotate-secret/`, cookie)).status).toBe(400)
  })

  it('deletes behind a confirmation: the application and its tokens are gone; audited', async () => {
    const { cookie } = await sessionOf('staff')
    const { app, token } = await passwordToken()
    expect((await getPage(`/admin/applications/${app.id}/delete/`, cookie)).status).toBe(200)
    const response = await consolePost(`/admin/applications/${app.id}/delete/`, cookie)
    expect(response.headers.get('Location')).toBe('/admin/applications/?notice=deleted')
    expect(await findApplicationByClientId(db, app.clientId)).toBeUndefined()
    expect((await hello(token)).status).toBe(401)
    expect((await auditOf('application', app.id))[0].action).toBe('application.delete')
  })
})

describe('console tokens', () => {
  it('per application: lists live tokens without values; revoke one, then revoke all', async () => {
    const { cookie } = await sessionOf('staff')
    const first = await passwordToken()
    const app = first.app
    const second = await passwordGrant(app, app.clientSecret ?? '', await makeUser())
    const secondToken = (await second.json<{ access_token: string }>()).access_token
    const page = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(page).toContain(first.user.username)
    for (const value of [first.token, first.refreshToken, secondToken]) expect(page).not.toContain(value)
    const accessIds = [...page.matchAll(/tokens\/access\/(\d+)\/revoke\//g)].map((match) => match[1])
    expect(accessIds).toHaveLength(2)
    // A token is named by its shard and row (src/tokens/shards.ts publicTokenId).
    const { shard, db: tokens } = await tokenDbOf(secondToken)
    const row = await tokens
      .select({ id: accessTokens.id })
      .from(accessTokens)
      .where(eq(accessTokens.tokenHash, await sha256Hex(secondToken)))
      .get()
    const secondId = String(publicTokenId(shard, row?.id ?? 0))
    expect(accessIds).toContain(secondId)
    const revoke = await consolePost(`/admin/applications/${app.id}/tokens/access/${secondId}/revoke/`, cookie)
    expect(revoke.status).toBe(303)
    expect((await hello(secondToken)).status).toBe(401)
    expect((await hello(first.token)).status).toBe(200)
    expect((await auditOf('token', `access:${secondId}`))[0].action).toBe('token.revoke')
    expect((await getPage(`/admin/applications/${app.id}/tokens/revoke-all/`, cookie)).status).toBe(200)
    expect((await consolePost(`/admin/applications/${app.id}/tokens/revoke-all/`, cookie)).status).toBe(303)
    expect((await hello(first.token)).status).toBe(401)
    const refreshed = await postToken(
      form({
        grant_type: 'refresh_token',
        refresh_token: first.refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(refreshed.status).toBe(400)
    expect((await auditOf('application', app.id))[0].action).toBe('tokens.revoke_all')
  })

  it('per user: revoking a refresh token revokes its family; a token of someone else is 404', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, app, token, refreshToken } = await passwordToken()
    const other = await passwordToken()
    const page = await (await getPage(`/admin/users/${user.id}/`, cookie)).text()
    const refreshId = page.match(/tokens\/refresh\/(\d+)\/revoke\//)?.[1]
    const otherPage = await (await getPage(`/admin/users/${other.user.id}/`, cookie)).text()
    const otherAccessId = otherPage.match(/tokens\/access\/(\d+)\/revoke\//)?.[1]
    expect((await consolePost(`/admin/users/${user.id}/tokens/access/${otherAccessId}/revoke/`, cookie)).status).toBe(
      404,
    )
    expect((await hello(other.token)).status).toBe(200)
    expect((await consolePost(`/admin/users/${user.id}/tokens/refresh/${refreshId}/revoke/`, cookie)).status).toBe(303)
    expect((await hello(token)).status).toBe(401)
    const refreshed = await postToken(
      form({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(refreshed.status).toBe(400)
    expect((await consolePost(`/admin/users/${user.id}/tokens/revoke-all/`, cookie)).status).toBe(303)
    expect((await auditOf('user', user.id))[0].action).toBe('tokens.revoke_all')
  })
})

describe('console API keys', () => {
  it('creates keys (each shown once) and revokes one, the other keeps working; all audited', async () => {
    const { cookie } = await sessionOf('staff')
    const user = await makeUser()
    const created = await consolePost(`/admin/users/${user.id}/api-key/create/`, cookie)
    expect(created.status).toBe(200)
    const key = (await created.text()).match(/<code class="secret">([0-9a-f]{40})<\/code>/)?.[1] ?? ''
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
    const page = await (await getPage(`/admin/users/${user.id}/`, cookie)).text()
    expect(page).not.toContain(key)
    const keyId = page.match(/api-key\/(\d+)\/revoke\//)?.[1]
    // Several keys per user (one per device): a second one leaves the first working.
    const second = await consolePost(`/admin/users/${user.id}/api-key/create/`, cookie)
    const other = (await second.text()).match(/<code class="secret">([0-9a-f]{40})<\/code>/)?.[1] ?? ''
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
    expect((await consolePost(`/admin/users/${user.id}/api-key/${keyId}/revoke/`, cookie)).status).toBe(303)
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${other}` })).status).toBe(200)
    expect((await auditOf('user', user.id)).map((entry) => entry.action)).toEqual([
      'api_key.revoke',
      'api_key.create',
      'api_key.create',
    ])
    expect(JSON.stringify(await auditOf('user', user.id))).not.toContain(key)
  })

  it('a key of an account the staff user may not manage is not shown with buttons', async () => {
    const { cookie } = await sessionOf('staff')
    const { user: superuser } = await sessionOf('superuser')
    await issueApiKey(testStore(), superuser.id)
    const page = await (await getPage(`/admin/users/${superuser.id}/`, cookie)).text()
    expect(page).toContain('Key #')
    expect(page).not.toContain('/revoke/')
    expect((await consolePost(`/admin/users/${superuser.id}/api-key/create/`, cookie)).status).toBe(403)
  })
})
