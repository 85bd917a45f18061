/**
 * migrations/…_compact_tokens.sql rebuilds the token tables with 32-byte BLOB digests and integer
 * refresh token families. Tokens issued on the old schema (hex text digests, text families) keep
 * working after it: access tokens authenticate, refresh tokens rotate, a replayed refresh token or
 * code still revokes its whole family (RFC 9700 §4.14.2, RFC 6749 §4.1.2), and the AUTOINCREMENT
 * counters survive, so a new code never takes the id (and family) of a deleted one.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  authorizationCode,
  expectOAuthError,
  form,
  hello,
  passwordToken,
  postToken,
  refreshGrant,
  tokensInMainDatabase,
} from '../helpers.ts'

// Found by name, not number: the lead may renumber it when merging beside other migrations.
const migration = env.TEST_MIGRATIONS.find((entry) => entry.name.endsWith('_compact_tokens.sql'))
// Later migrations that change the same tables, run after it as a deployment would (their
// statements on these tables only: the others, such as device_codes, were never undone).
const TOKEN_TABLES = /`(access_tokens|refresh_tokens|authorization_codes)`/
const LATER = ['_token_audience.sql', '_django_import_continuity.sql', '_dpop.sql']
const later = env.TEST_MIGRATIONS.filter((entry) => LATER.some((suffix) => entry.name.endsWith(suffix)))

// The database as it was before the migration (the 0000–0009 DDL), rows converted back: hex text
// digests; a family named by its first refresh token's hex digest, or `code:<id>`.
const UNDO = [
  `CREATE TABLE access_tokens_old (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL, token_hash text NOT NULL, user_id integer,
    application_id integer NOT NULL, scope text NOT NULL, expires_at integer NOT NULL,
    created_at integer DEFAULT (unixepoch()) NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE no action ON DELETE cascade,
    FOREIGN KEY (application_id) REFERENCES applications(id) ON UPDATE no action ON DELETE cascade)`,
  `INSERT INTO access_tokens_old SELECT id, lower(hex(token_hash)), user_id, application_id, scope, expires_at, created_at
   FROM access_tokens`,
  `CREATE TABLE refresh_tokens_old (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL, token_hash text NOT NULL, access_token_id integer,
    user_id integer, application_id integer NOT NULL, scope text NOT NULL, family_id text NOT NULL,
    expires_at integer NOT NULL, revoked_at integer, created_at integer DEFAULT (unixepoch()) NOT NULL,
    auth_time integer,
    FOREIGN KEY (access_token_id) REFERENCES access_tokens_old(id) ON UPDATE no action ON DELETE set null,
    FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE no action ON DELETE cascade,
    FOREIGN KEY (application_id) REFERENCES applications(id) ON UPDATE no action ON DELETE cascade)`,
  `INSERT INTO refresh_tokens_old
   SELECT r.id, lower(hex(r.token_hash)), r.access_token_id, r.user_id, r.application_id, r.scope,
     CASE WHEN r.family_id < 0 THEN 'code:' || -r.family_id
       ELSE (SELECT lower(hex(root.token_hash)) FROM refresh_tokens root WHERE root.id = coalesce(r.family_id, r.id)) END,
     r.expires_at, r.revoked_at, r.created_at, r.auth_time
   FROM refresh_tokens r`,
  `CREATE TABLE authorization_codes_old (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL, code_hash text NOT NULL, application_id integer NOT NULL,
    user_id integer NOT NULL, redirect_uri text NOT NULL, scope text NOT NULL,
    code_challenge text DEFAULT '' NOT NULL, code_challenge_method text DEFAULT '' NOT NULL,
    nonce text DEFAULT '' NOT NULL, auth_time integer, expires_at integer NOT NULL, redeemed_at integer,
    created_at integer DEFAULT (unixepoch()) NOT NULL,
    FOREIGN KEY (application_id) REFERENCES applications(id) ON UPDATE no action ON DELETE cascade,
    FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE no action ON DELETE cascade)`,
  `INSERT INTO authorization_codes_old SELECT id, lower(hex(code_hash)), application_id, user_id, redirect_uri, scope,
     code_challenge, code_challenge_method, nonce, auth_time, expires_at, redeemed_at, created_at
   FROM authorization_codes`,
  'DROP TABLE refresh_tokens',
  'DROP TABLE access_tokens',
  'DROP TABLE authorization_codes',
  'ALTER TABLE access_tokens_old RENAME TO access_tokens',
  'ALTER TABLE refresh_tokens_old RENAME TO refresh_tokens',
  'ALTER TABLE authorization_codes_old RENAME TO authorization_codes',
  'CREATE UNIQUE INDEX access_tokens_token_hash_unique ON access_tokens (token_hash)',
  'CREATE INDEX access_tokens_expires_at_idx ON access_tokens (expires_at)',
  'CREATE INDEX access_tokens_user_idx ON access_tokens (user_id)',
  'CREATE INDEX access_tokens_application_idx ON access_tokens (application_id)',
  'CREATE UNIQUE INDEX refresh_tokens_token_hash_unique ON refresh_tokens (token_hash)',
  'CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)',
  'CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at)',
  'CREATE INDEX refresh_tokens_access_token_idx ON refresh_tokens (access_token_id)',
  'CREATE UNIQUE INDEX authorization_codes_code_hash_unique ON authorization_codes (code_hash)',
  'CREATE INDEX authorization_codes_expires_at_idx ON authorization_codes (expires_at)',
]

async function run(queries: string[]) {
  for (const query of queries) await env.DB.prepare(query).run()
}

const one = <T>(query: string, ...values: unknown[]) =>
  env.DB.prepare(query)
    .bind(...values)
    .first<T>()

/** What the KV tier remembers would hide a broken D1 lookup: forget it all. */
async function emptyTokenCache() {
  const { keys } = await env.TOKEN_CACHE.list()
  await Promise.all(keys.map((key) => env.TOKEN_CACHE.delete(key.name)))
}

describe('migration *_compact_tokens: BLOB digests and integer families, every live token kept', () => {
  // Tokens minted before token shards existed: in the main database (shard 0).
  tokensInMainDatabase()

  it('tokens issued on the old schema authenticate, rotate and revoke by family after it; ids are never reused', async () => {
    if (!migration) throw new Error('migration *_compact_tokens.sql not found')
    // A: a fresh grant. B: a grant rotated once. C: a redeemed code. D: a code not yet redeemed.
    const a = await passwordToken()
    const b = await passwordToken()
    const rotated = await (await refreshGrant(b.app, b.refreshToken)).json<{
      access_token: string
      refresh_token: string
    }>()
    const c = await authorizationCode()
    const fromCode = await (await postToken(form(c.params))).json<{ access_token: string; refresh_token: string }>()
    const d = await authorizationCode()
    // E: a code deleted (cleanup) after the newest id was taken: its id must stay taken.
    const e = await authorizationCode()
    const deletedCodeId = (await one<{ id: number }>('SELECT max(id) AS id FROM authorization_codes'))?.id ?? 0

    await run(UNDO)
    await env.DB.prepare('DELETE FROM authorization_codes WHERE id = ?').bind(deletedCodeId).run()
    expect(await one('SELECT typeof(token_hash) AS hash, typeof(family_id) AS family FROM refresh_tokens')).toEqual({
      hash: 'text',
      family: 'text',
    })
    expect(await one("SELECT count(*) AS n FROM refresh_tokens WHERE family_id LIKE 'code:%'")).toEqual({ n: 1 })
    await run(migration.queries)
    expect(later).toHaveLength(LATER.length)
    for (const entry of later) await run(entry.queries.filter((query) => TOKEN_TABLES.test(query)))
    await emptyTokenCache()

    for (const table of ['access_tokens', 'refresh_tokens']) {
      expect(
        await one(`SELECT DISTINCT typeof(token_hash) AS type, length(token_hash) AS bytes FROM ${table}`),
      ).toEqual({
        type: 'blob',
        bytes: 32,
      })
    }
    expect(
      await one('SELECT DISTINCT typeof(code_hash) AS type, length(code_hash) AS bytes FROM authorization_codes'),
    ).toEqual({
      type: 'blob',
      bytes: 32,
    })
    // Integer families: B's two tokens share their first token's id, C's is minus the code's id.
    const families = await env.DB.prepare(
      'SELECT application_id AS app, family_id AS family, id FROM refresh_tokens WHERE application_id IN (?, ?) ORDER BY id',
    )
      .bind(b.app.id, c.app.id)
      .all()
    const [bFirst, bSecond, cOnly] = families.results as { app: number; family: number | null; id: number }[]
    expect(bFirst).toMatchObject({ app: b.app.id, family: null })
    expect(bSecond).toMatchObject({ app: b.app.id, family: bFirst.id })
    expect(cOnly.family).toBeLessThan(0)
    const indexes = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('access_tokens', 'refresh_tokens', 'authorization_codes') ORDER BY name",
    ).all<{ name: string }>()
    expect(indexes.results.map((row) => row.name)).toEqual([
      'access_tokens_application_idx',
      'access_tokens_expires_at_idx',
      'access_tokens_token_hash_unique',
      'access_tokens_user_idx',
      'authorization_codes_code_hash_unique',
      'authorization_codes_expires_at_idx',
      'refresh_tokens_access_token_idx',
      'refresh_tokens_expires_at_idx',
      'refresh_tokens_family_idx',
      'refresh_tokens_token_hash_unique',
    ])
    expect(await one("SELECT count(*) AS n FROM sqlite_master WHERE sql LIKE '%_compact%'")).toEqual({ n: 0 })

    // A authenticates and rotates; the rotated pair works.
    expect((await hello(a.token)).status).toBe(200)
    const aNext = await refreshGrant(a.app, a.refreshToken)
    expect(aNext.status).toBe(200)
    expect((await hello((await aNext.json<{ access_token: string }>()).access_token)).status).toBe(200)

    // B: replaying the refresh token rotated before the migration revokes the family it started.
    expect((await hello(rotated.access_token)).status).toBe(200)
    await expectOAuthError(await refreshGrant(b.app, b.refreshToken), 400, 'invalid_grant')
    expect((await hello(rotated.access_token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(b.app, rotated.refresh_token), 400, 'invalid_grant')

    // C: replaying the code redeemed before the migration revokes what it issued.
    expect((await hello(fromCode.access_token)).status).toBe(200)
    await expectOAuthError(await postToken(form(c.params)), 400, 'invalid_grant')
    expect((await hello(fromCode.access_token)).status).toBe(401)
    await expectOAuthError(await refreshGrant(c.app, fromCode.refresh_token), 400, 'invalid_grant')

    // D redeems; the code made after the migration takes an id past the deleted one.
    expect((await postToken(form(d.params))).status).toBe(200)
    await expectOAuthError(await postToken(form(e.params)), 400, 'invalid_grant')
    await authorizationCode()
    expect((await one<{ id: number }>('SELECT max(id) AS id FROM authorization_codes'))?.id).toBeGreaterThan(
      deletedCodeId,
    )

    // The refresh token's reference to its access token still acts: deleting A's new access token
    // (here by deleting the user) cascades through both tables.
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(a.user.id).run()
    expect(await one('SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ?', a.user.id)).toEqual({ n: 0 })
    // Some twenty requests through the Worker: more than the default 5 s on a loaded machine.
  }, 60_000)
})
