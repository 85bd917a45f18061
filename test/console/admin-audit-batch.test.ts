/**
 * Every change the console makes is written in one D1 batch with its audit row, as Django's admin
 * writes its LogEntry in the change's transaction: when the audit row cannot be written, the
 * change is not made either (a 503 page, and every table as it was).
 */
import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { publicTokenId } from '../../src/tokens/shards.ts'
import { db, inEveryTokenDatabase, makeApplication, passwordToken, testStore, tokenDbOf, unique } from '../helpers.ts'
import { consolePost, sessionOf } from './admin-helpers.ts'

const TABLES = ['users', 'applications', 'api_keys', 'audit_log']
// In every token database (the main one and each shard): a change's fan-out writes there first.
const TOKEN_TABLES = ['access_tokens', 'refresh_tokens', 'user_fences', 'application_fences']

/** Every row of the tables a console change touches. */
async function everything(): Promise<string> {
  const dumps = await Promise.all([
    ...TABLES.map(async (table) => (await env.DB.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()).results),
    ...TOKEN_TABLES.map((table) => inEveryTokenDatabase(`SELECT * FROM ${table} ORDER BY rowid`)),
  ])
  return JSON.stringify(dumps)
}

afterEach(async () => {
  await env.DB.exec('DROP TRIGGER IF EXISTS refuse_audit')
  vi.restoreAllMocks()
})

describe('console changes and their audit rows: one batch', () => {
  it('each of the console’s changes is undone with its audit row (16 kinds of change)', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user, app, token } = await passwordToken()
    const { key } = await issueApiKey(testStore(), user.id)
    const holder = await tokenDbOf(token)
    const row = await holder.d1
      .prepare('SELECT id FROM access_tokens WHERE user_id = ?')
      .bind(user.id)
      .first<{ id: number }>()
    // As the console names a token: its shard and row.
    const tokenId = publicTokenId(holder.shard, row?.id ?? 0)
    const [{ id: keyId }] = await env.DB.prepare('SELECT id FROM api_keys WHERE user_id = ?')
      .bind(user.id)
      .all<{ id: number }>()
      .then((result) => result.results)
    const other = await makeApplication({ name: unique('Other ') })
    expect(token).toBeTruthy()
    expect(key).toBeTruthy()
    const userPath = `/admin/users/${user.id}/`
    const appPath = `/admin/applications/${app.id}/`
    const application = {
      name: 'Changed',
      client_type: 'confidential',
      authorization_grant_type: ['password'],
      redirect_uris: '',
    }
    const changes: [string, Record<string, string | string[]>][] = [
      [
        '/admin/users/add/',
        { username: unique('new'), password1: 'plaid kettle orbit 42', password2: 'plaid kettle orbit 42' },
      ],
      // A change of details, and one that deactivates (with the deactivation's own effects).
      [`${userPath}change/`, { email: 'changed@example.com', first_name: 'Changed', is_active: 'on' }],
      [`${userPath}change/`, { email: 'changed@example.com' }],
      [`${userPath}password/`, { password1: 'plaid kettle orbit 43', password2: 'plaid kettle orbit 43' }],
      [`${userPath}deactivate/`, {}],
      [`${userPath}reactivate/`, {}],
      [`${userPath}logout-everywhere/`, {}],
      [`${userPath}tokens/access/${tokenId}/revoke/`, {}],
      [`${userPath}tokens/revoke-all/`, {}],
      [`${userPath}api-key/create/`, {}],
      [`${userPath}api-key/${keyId}/revoke/`, {}],
      [`${userPath}delete/`, {}],
      ['/admin/applications/add/', application],
      [`${appPath}change/`, application],
      [`${appPath}rotate-secret/`, {}],
      [`${appPath}tokens/access/${tokenId}/revoke/`, {}],
      [`${appPath}tokens/revoke-all/`, {}],
      [`/admin/applications/${other.id}/delete/`, {}],
    ]
    vi.spyOn(console, 'error').mockImplementation(() => {})
    await env.DB.exec(
      "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
    )
    for (const [path, values] of changes) {
      const before = await everything()
      const response = await consolePost(path, cookie, values)
      expect(response.status, path).toBe(503)
      expect(await everything(), path).toBe(before)
    }
    // Without the refusal the same change goes through, with its row.
    await env.DB.exec('DROP TRIGGER refuse_audit')
    expect((await consolePost(`${userPath}deactivate/`, cookie)).status).toBe(303)
    const rows = await db.query.auditLog.findMany()
    expect(rows.some((row) => row.action === 'user.deactivate' && row.objectId === String(user.id))).toBe(true)
  })
})
