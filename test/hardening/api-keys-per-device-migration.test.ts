/**
 * migrations/…_api_keys_per_device.sql lets a user hold several DRF keys: `user_id` is no longer
 * unique and keys gain a `prefix`. A database migrated from one key per user keeps every key:
 * a key made before still authenticates, is listed (without a prefix: only its digest exists)
 * and revoked on its own, and the user's next login adds a key instead of replacing it.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { mintApiKey } from '../../src/crypto/token-format.ts'
import { listApiKeys, revokeApiKey } from '../../src/tokens/api-keys.ts'
import { api, db, makeUser, testStore } from '../helpers.ts'

// Found by name, not number: the lead may renumber it when merging beside other migrations.
const migration = env.TEST_MIGRATIONS.find((entry) => entry.name.endsWith('_api_keys_per_device.sql'))

// The table as it was before: one key per user, no prefix.
const UNDO = [
  'DROP INDEX api_keys_user_idx',
  'CREATE UNIQUE INDEX api_keys_user_id_unique ON api_keys (user_id)',
  'ALTER TABLE api_keys DROP COLUMN prefix',
]

async function run(queries: string[]) {
  for (const query of queries) await env.DB.prepare(query).run()
}

describe('migration *_api_keys_per_device: several DRF keys per user', () => {
  it('a key made under one-key-per-user survives: it authenticates, is listed without a prefix, and a new login adds a key beside it', async () => {
    if (!migration) throw new Error('migration *_api_keys_per_device.sql not found')
    await run(UNDO)
    const user = await makeUser()
    const oldKey = mintApiKey()
    await env.DB.prepare('INSERT INTO api_keys (key_hash, user_id) VALUES (?, ?)')
      .bind(await sha256Hex(oldKey), user.id)
      .run()
    // Before: a second row for the same user is refused.
    await expect(
      env.DB.prepare('INSERT INTO api_keys (key_hash, user_id) VALUES (?, ?)').bind('second', user.id).run(),
    ).rejects.toThrow(/UNIQUE/)

    await run(migration.queries)

    expect((await api('/api/hello', { authorization: `Token ${oldKey}` })).status).toBe(200)
    const [listed] = await listApiKeys(db, user.id)
    expect(listed).toMatchObject({ prefix: null, created: expect.any(Date) })
    const login = await api('/api-token-auth/', { form: { username: user.username, password: user.plainPassword } })
    expect(login.status).toBe(200)
    const { token: newKey } = await login.json<{ token: string }>()
    for (const key of [oldKey, newKey]) {
      expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
    }
    expect(await revokeApiKey(testStore(), user.id, listed.id)).toBe(true)
    expect((await api('/api/hello', { authorization: `Token ${oldKey}` })).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${newKey}` })).status).toBe(200)
  })
})
