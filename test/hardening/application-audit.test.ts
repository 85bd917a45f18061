/**
 * Every change of an application's skip_authorization, redirect URIs, client type, secret or owner
 * is audited wherever it comes from: the console, the management API and its pages, the CLI (L-1).
 * The audit row is written in the same D1 batch as the change, as Django's admin writes its
 * LogEntry in the change's transaction: when the row cannot be written, nothing changes. An owner
 * who is not a superuser and moves the redirect URIs of a skip_authorization application ends
 * the silent approval (L-2).
 */
import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { deleteapplication } from '../../src/cli/commands/applications.ts'
import { createapplication } from '../../src/cli/commands/createapplication.ts'
import { accessTokens, apiKeys, applications, users } from '../../src/db/schema.ts'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { publicTokenId } from '../../src/tokens/shards.ts'
import { manage } from '../cli.ts'
import { auditOf, consolePost, sessionOf } from '../console/admin-helpers.ts'
import {
  api,
  db,
  everyTokenDb,
  getPage,
  issueTokens,
  makeApplication,
  makeUser,
  ORIGIN,
  REDIRECT_URI,
  testStore,
  tokenDbOf,
  unique,
} from '../helpers.ts'
import { faultyD1, fetchWith } from '../platform/faults.ts'

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const MOVED = 'https://moved.example/cb'

const stored = (id: number) => db.select().from(applications).where(eq(applications.id, id)).get()

function pagePost(path: string, cookie: string, values: Record<string, string>) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Accept: HTML, 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: cookie },
    body: new URLSearchParams(values).toString(),
  })
}

function codeApp(userId: number | null, skipAuthorization = false) {
  return makeApplication({
    name: unique('Audited '),
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    userId,
    skipAuthorization,
  })
}

describe('L-1: the management API, its pages and the CLI audit every application change', () => {
  it('JSON: register, change the redirect URIs, rotate, delete — each an entry by the owner', async () => {
    const { cookie, user } = await sessionOf('user')
    const created = await api('/o/applications/', {
      method: 'POST',
      cookie,
      json: {
        name: 'JSON audited',
        client_type: 'confidential',
        authorization_grant_type: ['authorization-code'],
        redirect_uris: [REDIRECT_URI],
      },
    })
    const { id } = await created.json<{ id: number }>()
    await api(`/o/applications/${id}/`, { method: 'PATCH', cookie, json: { redirect_uris: [MOVED] } })
    await api(`/o/applications/${id}/rotate-secret/`, { method: 'POST', cookie })
    await api(`/o/applications/${id}/`, { method: 'DELETE', cookie })
    const entries = await auditOf('application', id)
    expect(entries.map((entry) => entry.action)).toEqual([
      'application.delete',
      'application.rotate_secret',
      'application.change',
      'application.create',
    ])
    for (const entry of entries) expect(entry).toMatchObject({ actorId: user.id, actorUsername: user.username })
    expect(entries[2].message).toContain(`redirect URIs → ${MOVED}`)
    expect(entries[3].message).toContain('confidential client')
  })

  it('pages: register, update, rotate, delete — each an entry by the owner', async () => {
    const { cookie, user } = await sessionOf('user')
    const made = await pagePost('/o/applications/register/', cookie, {
      name: 'Page audited',
      client_type: 'confidential',
      authorization_grant_type: 'authorization-code',
      redirect_uris: REDIRECT_URI,
    })
    const id = Number(made.headers.get('Location')?.match(/(\d+)\/$/)?.[1])
    expect(id).toBeGreaterThan(0)
    await pagePost(`/o/applications/${id}/update/`, cookie, {
      name: 'Page audited',
      authorization_grant_type: 'authorization-code',
      redirect_uris: MOVED,
    })
    await pagePost(`/o/applications/${id}/rotate-secret/`, cookie, {})
    await pagePost(`/o/applications/${id}/delete/`, cookie, {})
    const entries = await auditOf('application', id)
    expect(entries.map((entry) => [entry.action, entry.actorId])).toEqual([
      ['application.delete', user.id],
      ['application.rotate_secret', user.id],
      ['application.change', user.id],
      ['application.create', user.id],
    ])
  })

  it('CLI: createapplication and deleteapplication leave entries by the operator', async () => {
    const owner = await makeUser()
    const name = unique('cli audited ')
    await manage(
      createapplication,
      ...['--name', name, '--client-type', 'confidential', '--grant-type', 'authorization-code'],
      ...['--redirect-uri', REDIRECT_URI, '--user', owner.username, '--skip-authorization'],
    )
    const app = await db.select().from(applications).where(eq(applications.name, name)).get()
    expect(app).toBeDefined()
    await manage(deleteapplication, app?.clientId ?? '')
    const entries = await auditOf('application', app?.id ?? 0)
    expect(entries.map((entry) => [entry.action, entry.actorId, entry.actorUsername])).toEqual([
      ['application.delete', null, 'manage'],
      ['application.create', null, 'manage'],
    ])
    expect(entries[1].message).toContain('skip_authorization')
    expect(entries[1].message).toContain(`owner ${owner.username}`)
  })
})

describe('L-2: moving the redirect URIs ends a silent approval, unless a superuser does it', () => {
  it('JSON PATCH by the owner: skip off, audited; a rename alone keeps it', async () => {
    const { cookie, user } = await sessionOf('user')
    const app = await codeApp(user.id, true)
    const renamed = await api(`/o/applications/${app.id}/`, { method: 'PATCH', cookie, json: { name: 'Renamed' } })
    expect(renamed.status).toBe(200)
    expect((await stored(app.id))?.skipAuthorization).toBe(true)
    const moved = await api(`/o/applications/${app.id}/`, { method: 'PATCH', cookie, json: { redirect_uris: [MOVED] } })
    expect(moved.status).toBe(200)
    expect(await moved.json()).toMatchObject({ redirect_uris: [MOVED], skip_authorization: false })
    const [entry] = await auditOf('application', app.id)
    expect(entry.message).toContain('skip_authorization → false')
  })

  it('the update page by the owner, and the console by a staff owner: skip off', async () => {
    const { cookie, user } = await sessionOf('user')
    const app = await codeApp(user.id, true)
    const updated = await pagePost(`/o/applications/${app.id}/update/`, cookie, {
      name: app.name,
      authorization_grant_type: 'authorization-code',
      redirect_uris: MOVED,
    })
    expect(updated.status).toBe(303)
    expect(await stored(app.id)).toMatchObject({ redirectUris: [MOVED], skipAuthorization: false })

    const staff = await sessionOf('staff')
    const own = await codeApp(staff.user.id, true)
    const changed = await consolePost(`/admin/applications/${own.id}/change/`, staff.cookie, {
      name: own.name,
      client_type: 'confidential',
      authorization_grant_type: 'authorization-code',
      redirect_uris: MOVED,
    })
    expect(changed.status).toBe(303)
    expect(await stored(own.id)).toMatchObject({ redirectUris: [MOVED], skipAuthorization: false })
    expect((await auditOf('application', own.id))[0].message).toContain('skip_authorization → false')
  })

  it('a superuser moving them keeps the approval (the decision is theirs)', async () => {
    const { cookie } = await sessionOf('superuser')
    const owner = await makeUser()
    const app = await codeApp(owner.id, true)
    const changed = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      name: app.name,
      client_type: 'confidential',
      authorization_grant_type: 'authorization-code',
      redirect_uris: MOVED,
      skip_authorization: 'on',
    })
    expect(changed.status).toBe(303)
    expect(await stored(app.id)).toMatchObject({ redirectUris: [MOVED], skipAuthorization: true })
  })
})

describe('console: each change and its audit row are one batch', () => {
  const auditFails = () => faultyD1((sql) => /^insert into "audit_log"/i.test(sql))

  function post(path: string, cookie: string, values: Record<string, string> = {}) {
    return fetchWith(
      { DB: auditFails() },
      new Request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: cookie },
        body: new URLSearchParams(values).toString(),
      }),
    )
  }

  async function liveToken(userId: number, username: string, applicationId: number, clientId: string) {
    const issued = await issueTokens(testStore(), {
      userId,
      username,
      applicationId,
      clientId,
      scopes: ['read'],
      accessLifetime: 3600,
      refreshLifetime: 86400,
    })
    // Named by its shard and row, as the console names it (src/tokens/shards.ts publicTokenId).
    const { shard, db: tokens } = await tokenDbOf(issued.accessToken)
    const rows = await tokens
      .select({ id: accessTokens.id })
      .from(accessTokens)
      .where(eq(accessTokens.applicationId, applicationId))
    return { issued, id: publicTokenId(shard, rows[rows.length - 1].id) }
  }

  it('when the audit row cannot be written, no change is made (14 console changes)', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { cookie } = await sessionOf('superuser')
    const target = await makeUser()
    const inactive = await makeUser({ isActive: false })
    const userRow = () => db.select().from(users).where(eq(users.id, target.id)).get()
    const before = await userRow()
    const app = await codeApp(target.id)
    const token = await liveToken(target.id, target.username, app.id, app.clientId)
    const key = await issueApiKey(testStore(), target.id)
    const keyCount = async () => (await db.select().from(apiKeys).where(eq(apiKeys.userId, target.id))).length
    const tokenCount = async () => {
      let total = 0
      for (const tokens of everyTokenDb()) {
        total += (await tokens.select().from(accessTokens).where(eq(accessTokens.applicationId, app.id))).length
      }
      return total
    }
    const u = `/admin/users/${target.id}/`
    const a = `/admin/applications/${app.id}/`
    const newName = unique('never')
    const changes: [string, Record<string, string>?][] = [
      [
        '/admin/users/add/',
        { username: newName, password1: 'plaid kettle orbit 42', password2: 'plaid kettle orbit 42' },
      ],
      [`${u}password/`, { password1: 'plaid kettle orbit 42', password2: 'plaid kettle orbit 42' }],
      [`${u}deactivate/`],
      [`/admin/users/${inactive.id}/reactivate/`],
      [`${u}logout-everywhere/`],
      [`${u}tokens/access/${token.id}/revoke/`],
      [`${u}tokens/revoke-all/`],
      [`${u}api-key/create/`],
      [`${u}api-key/${key.id}/revoke/`],
      [
        '/admin/applications/add/',
        { name: newName, client_type: 'public', authorization_grant_type: 'password', owner: '' },
      ],
      [
        `${a}change/`,
        {
          name: 'never',
          client_type: 'confidential',
          authorization_grant_type: 'authorization-code',
          redirect_uris: MOVED,
        },
      ],
      [`${a}rotate-secret/`],
      [`${a}tokens/revoke-all/`],
      [`${a}delete/`],
      [`${u}delete/`],
    ]
    for (const [path, values] of changes) {
      const response = await post(path, cookie, values)
      expect(response.status, path).toBe(503)
    }
    expect(await userRow()).toEqual(before)
    expect((await db.select().from(users).where(eq(users.id, inactive.id)).get())?.isActive).toBe(false)
    expect(await db.select().from(users).where(eq(users.username, newName)).get()).toBeUndefined()
    expect(await db.select().from(applications).where(eq(applications.name, newName)).get()).toBeUndefined()
    expect(await stored(app.id)).toMatchObject({
      name: app.name,
      redirectUris: [REDIRECT_URI],
      clientSecretHash: app.clientSecretHash,
    })
    expect(await tokenCount()).toBe(1)
    expect(await keyCount()).toBe(1)
    expect(await auditOf('user', target.id)).toEqual([])
    expect(await auditOf('application', app.id)).toEqual([])
    expect((await getPage(u, cookie)).status).toBe(200)
  })
})
