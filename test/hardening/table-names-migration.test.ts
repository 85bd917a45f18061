/**
 * migrations/…_names.sql renames `grants` to `authorization_codes` and `api_tokens` to `api_keys`.
 * A database migrated from the old names keeps every row: a code issued before still redeems, a
 * DRF key made before still authenticates, and the foreign keys still cascade.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { api, authorizationCode, form, makeUser, postToken, testStore } from '../helpers.ts'

// Found by name, not number: the lead may renumber it when merging beside other migrations.
const migration = env.TEST_MIGRATIONS.find((entry) => entry.name.endsWith('_names.sql'))

// Later migrations that touch these tables, undone first and applied again after the check.
const later = env.TEST_MIGRATIONS.find((entry) => entry.name.endsWith('_api_keys_per_device.sql'))
const UNDO_LATER = [
  'DROP INDEX api_keys_user_idx',
  'CREATE UNIQUE INDEX api_keys_user_id_unique ON api_keys (user_id)',
  'ALTER TABLE api_keys DROP COLUMN prefix',
]

// The database as it was before the migration: the old table and index names.
const UNDO = [
  'ALTER TABLE authorization_codes RENAME TO grants',
  'DROP INDEX authorization_codes_code_hash_unique',
  'CREATE UNIQUE INDEX grants_code_hash_unique ON grants (code_hash)',
  'DROP INDEX authorization_codes_expires_at_idx',
  'CREATE INDEX grants_expires_at_idx ON grants (expires_at)',
  'ALTER TABLE api_keys RENAME TO api_tokens',
  'DROP INDEX api_keys_key_hash_unique',
  'CREATE UNIQUE INDEX api_tokens_key_hash_unique ON api_tokens (key_hash)',
  'DROP INDEX api_keys_user_id_unique',
  'CREATE UNIQUE INDEX api_tokens_user_id_unique ON api_tokens (user_id)',
]

async function run(queries: string[]) {
  for (const query of queries) await env.DB.prepare(query).run()
}

const schemaNaming = (name: string) =>
  env.DB.prepare('SELECT type, name FROM sqlite_master WHERE name LIKE ? OR sql LIKE ? ORDER BY name')
    .bind(`${name}%`, `%${name}%`)
    .all<{ type: string; name: string }>()
    .then((result) => result.results)

describe('migration *_names: authorization codes and API keys under their own names', () => {
  it('a live code and a DRF key made under the old names survive: the code redeems, the key authenticates, deletes cascade', async () => {
    if (!migration || !later) throw new Error('migration *_names.sql or *_api_keys_per_device.sql not found')
    const { params } = await authorizationCode()
    const user = await makeUser()
    const { key } = await issueApiKey(testStore(), user.id)

    await run(UNDO_LATER)
    await run(UNDO)
    expect((await schemaNaming('grants')).length).toBeGreaterThan(0)
    await run(migration.queries)

    // Nothing (table, index, trigger, foreign key) names the old tables any more.
    expect(await schemaNaming('grants')).toEqual([])
    expect(await schemaNaming('api_tokens')).toEqual([])
    expect((await schemaNaming('authorization_codes')).map((row) => row.name)).toEqual([
      'authorization_codes',
      // migrations/…_client_registration.sql: deleting an application finds its codes by index.
      'authorization_codes_application_idx',
      'authorization_codes_code_hash_unique',
      'authorization_codes_expires_at_idx',
    ])
    expect((await schemaNaming('api_keys')).map((row) => row.name)).toEqual([
      'api_keys',
      'api_keys_key_hash_unique',
      'api_keys_user_id_unique',
    ])
    await run(later.queries)

    expect((await postToken(form(params))).status).toBe(200)
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
    // The user id column still references users: deleting the user takes the key with it.
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(user.id).run()
    const left = await env.DB.prepare('SELECT count(*) AS n FROM api_keys WHERE user_id = ?')
      .bind(user.id)
      .first<{ n: number }>()
    expect(left?.n).toBe(0)
  })
})
