/**
 * migrations/…_token_audience.sql adds the RFC 8707 audience to the token tables, codes and device
 * codes. No live token is invalidated: rows made before it have no audience (NULL), which means the
 * default audience (`<issuer>/api`), and so does a KV cache entry written before it (no `audience`
 * field). Tokens and codes from before keep working at /api/*, rotate, and introspect with `aud`.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { d1QueryCount } from '../counting.ts'
import {
  authorizationCode,
  basic,
  fetchWithSettings,
  fetchWorker,
  form,
  hello,
  makeApplication,
  ORIGIN,
  passwordToken,
  postToken,
  refreshGrant,
} from '../helpers.ts'

// Found by name, not number: the lead may renumber it when merging beside other migrations.
const migration = env.TEST_MIGRATIONS.find((entry) => entry.name.endsWith('_token_audience.sql'))
const TABLES = ['access_tokens', 'refresh_tokens', 'authorization_codes', 'device_codes']

async function run(queries: string[]) {
  for (const query of queries) await env.DB.prepare(query).run()
}

async function hasAudienceColumn(table: string): Promise<boolean> {
  const columns = await env.DB.prepare(`SELECT name FROM pragma_table_info('${table}')`).all<{ name: string }>()
  return columns.results.some((column) => column.name === 'audience')
}

async function emptyTokenCache() {
  const { keys } = await env.TOKEN_CACHE.list()
  await Promise.all(keys.map((key) => env.TOKEN_CACHE.delete(key.name)))
}

/** RFC 7662 by a designated resource server: the token's `aud`. */
async function introspectedAudience(token: string) {
  const server = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
  const response = await fetchWorker(
    new Request(`${ORIGIN}/o/introspect/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(server.clientId, server.clientSecret ?? ''),
      },
      body: form({ token }),
    }),
  )
  expect(response.status).toBe(200)
  return (await response.json<{ active: boolean; aud?: string }>()).aud
}

describe('migration *_token_audience: every token from before keeps working, for the default audience', () => {
  it('tokens and a code made before it authenticate at /api/*, rotate and introspect with aud <issuer>/api', async () => {
    if (!migration) throw new Error('migration *_token_audience.sql not found')
    const before = await passwordToken()
    const code = await authorizationCode()

    // The schema as it was before the migration: no audience anywhere.
    await run(TABLES.map((table) => `ALTER TABLE ${table} DROP COLUMN audience`))
    for (const table of TABLES) expect(await hasAudienceColumn(table)).toBe(false)
    await run(migration.queries)
    for (const table of TABLES) expect(await hasAudienceColumn(table)).toBe(true)
    await emptyTokenCache()

    expect((await hello(before.token)).status).toBe(200)
    expect(await introspectedAudience(before.token)).toBe(`${ORIGIN}/api`)
    const rotated = await refreshGrant(before.app, before.refreshToken)
    expect(rotated.status).toBe(200)
    expect((await hello((await rotated.json<{ access_token: string }>()).access_token)).status).toBe(200)

    const redeemed = await postToken(form(code.params))
    expect(redeemed.status).toBe(200)
    const fromCode = await redeemed.json<{ access_token: string }>()
    expect((await hello(fromCode.access_token)).status).toBe(200)

    expect(await introspectedAudience(fromCode.access_token)).toBe(`${ORIGIN}/api`)
  })

  it('a KV entry without an audience (as every entry written before) is the default audience: accepted at /api/* from KV alone', async () => {
    const { token } = await passwordToken()
    const key = `at:${await sha256Hex(token)}`
    const cached = await env.TOKEN_CACHE.get<Record<string, unknown>>(key, 'json')
    expect(cached).not.toBeNull()
    expect(cached).not.toHaveProperty('audience')
    // Memory tier off: the answer comes from KV, with no D1 query.
    const queries = d1QueryCount()
    const response = await fetchWithSettings(
      new Request(`${ORIGIN}/api/hello`, { headers: { Authorization: `Bearer ${token}` } }),
      { TOKEN_MEMORY_CACHE_SECONDS: '0' },
    )
    expect(response.status).toBe(200)
    expect(d1QueryCount() - queries).toBe(0)
  })
})
