/**
 * migrations/…_application_uri_lists.sql: rows written in the old space-joined format become JSON lists that the
 * `stringList` column reads back whole; rows already converted are left exactly as they were.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { findApplicationByClientId } from '../../src/oauth/applications.ts'
import { db, makeApplication, unique } from '../helpers.ts'

// Found by name, not number: the lead may renumber it when merging beside other migrations.
const migration = env.TEST_MIGRATIONS.find((entry) => entry.name.endsWith('_application_uri_lists.sql'))

async function applyConversion() {
  if (!migration) throw new Error('migration *_application_uri_lists.sql not found')
  for (const query of migration.queries) await env.DB.prepare(query).run()
}

async function oldFormatRow(values: { grantTypes: string; redirectUris: string; postLogout: string }) {
  const clientId = unique('legacy')
  await env.DB.prepare(
    `INSERT INTO applications (client_id, name, client_type, grant_types, redirect_uris, post_logout_redirect_uris)
     VALUES (?, 'Legacy', 'confidential', ?, ?, ?)`,
  )
    .bind(clientId, values.grantTypes, values.redirectUris, values.postLogout)
    .run()
  return clientId
}

const raw = (clientId: string) =>
  env.DB.prepare('SELECT grant_types, redirect_uris, post_logout_redirect_uris FROM applications WHERE client_id = ?')
    .bind(clientId)
    .first<{ grant_types: string; redirect_uris: string; post_logout_redirect_uris: string }>()

describe('migration *_application_uri_lists: space-joined application lists become JSON arrays', () => {
  it('splits on spaces in order, drops empty pieces and repeats, keeps quotes, backslashes and control characters valid JSON', async () => {
    const clientId = await oldFormatRow({
      grantTypes: 'password authorization-code password',
      redirectUris: 'https://a.example/cb  http://127.0.0.1:8000/cb?q="x" https://b.example/c\\d\t',
      postLogout: '',
    })
    const untouched = await makeApplication({ grantTypes: ['password'], redirectUris: ['https://c.example/cb'] })
    const before = await raw(untouched.clientId)
    await applyConversion()
    const converted = await raw(clientId)
    expect(converted).toEqual({
      grant_types: '["password","authorization-code"]',
      redirect_uris: '["https://a.example/cb","http://127.0.0.1:8000/cb?q=\\"x\\"","https://b.example/c\\\\d\\t"]',
      post_logout_redirect_uris: '[]',
    })
    const application = await findApplicationByClientId(db, clientId)
    expect(application?.grantTypes).toEqual(['password', 'authorization-code'])
    expect(application?.redirectUris).toEqual([
      'https://a.example/cb',
      'http://127.0.0.1:8000/cb?q="x"',
      'https://b.example/c\\d\t',
    ])
    expect(application?.postLogoutRedirectUris).toEqual([])
    // Already a list: untouched, and a second run changes nothing.
    expect(await raw(untouched.clientId)).toEqual(before)
    await applyConversion()
    expect(await raw(clientId)).toEqual(converted)
  })

  it('a single value and an empty list convert too', async () => {
    const clientId = await oldFormatRow({
      grantTypes: 'client-credentials',
      redirectUris: '',
      postLogout: 'https://rp.example/bye',
    })
    await applyConversion()
    const application = await findApplicationByClientId(db, clientId)
    expect(application?.grantTypes).toEqual(['client-credentials'])
    expect(application?.redirectUris).toEqual([])
    expect(application?.postLogoutRedirectUris).toEqual(['https://rp.example/bye'])
  })
})
