/**
 * test/setup.ts gives every test file's database the schema of test/schema.ts in one batch. It must
 * be exactly what the migrations make when applied one by one, as `wrangler d1 migrations apply`
 * applies them: the same tables, indexes and triggers with the same SQL, and the same rows
 * (seed rows such as the users count, wrangler's record of each migration, AUTOINCREMENT counters).
 */
import { applyD1Migrations, env, reset } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { uncounted } from '../counting.ts'

/** Every schema object's SQL and every table's rows, in a stable order (D1's own `_cf_` tables left out). */
async function snapshot(db: D1Database) {
  const { results: objects } = await db
    .prepare(
      `SELECT type, name, tbl_name, sql FROM sqlite_master
       WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY type, name`,
    )
    .all<{ type: string; name: string; tbl_name: string; sql: string | null }>()
  const rows: Record<string, unknown[]> = {}
  for (const { type, name } of objects) {
    if (type !== 'table') continue
    // When each migration was recorded is the one column that cannot match.
    const columns = name === 'd1_migrations' ? 'id, name' : '*'
    rows[name] = (await db.prepare(`SELECT ${columns} FROM "${name}" ORDER BY 1`).all()).results
  }
  return { objects, rows }
}

describe('the test schema (test/schema.ts)', () => {
  it('is exactly what the migrations make one by one: sqlite_master and every row', async () => {
    const db = uncounted(env.DB)
    const fromSchema = await snapshot(db)
    expect(fromSchema.objects.map((object) => object.name)).toContain('users')

    await reset()
    await applyD1Migrations(db, env.TEST_MIGRATIONS)
    expect(await snapshot(db)).toEqual(fromSchema)
  })
})
