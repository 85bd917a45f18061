import { env } from 'cloudflare:test'
import { count, inArray, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { listUsers, userListQueries } from '../../src/accounts/user-list.ts'
import { parsePage } from '../../src/db/paging.ts'
import { users } from '../../src/db/schema.ts'
import { d1QueryCount } from '../counting.ts'
import { db, makeUser } from '../helpers.ts'

/** SQLite's plan for a statement: "SCAN users" (without an index) means a full table scan. */
async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql, params } = query.toSQL()
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return rows.results.map((row) => row.detail).join('\n')
}

describe('users list queries', () => {
  it.each([
    ['email', { email: 'a@example.com' }, /SEARCH users USING (COVERING )?INDEX users_email_idx/],
    ['username', { username: 'someone' }, /SEARCH users USING (COVERING )?INDEX users_username_unique/],
    ['email and username', { email: 'a@example.com', username: 'someone' }, /SEARCH users USING (COVERING )?INDEX/],
  ])(
    'filtering by %s searches an index for both count and page, never scanning the table',
    async (_name, filters, index) => {
      const { count, rows } = userListQueries(db, filters)
      for (const query of [count, rows({ limit: 20, offset: 40 })]) {
        const detail = await plan(query)
        expect(detail).toMatch(index)
        expect(detail).not.toMatch(/SCAN users(?! USING)/)
      }
    },
  )

  it('the unfiltered page walks the primary key in order (no sort step)', async () => {
    const detail = await plan(userListQueries(db, {}).rows({ limit: 20, offset: 20 }))
    expect(detail).not.toMatch(/TEMP B-TREE/)
  })

  it('the unfiltered total (kept by triggers) equals count(*) after single, multi-row and bulk inserts and deletes', async () => {
    const total = async () => (await listUsers(db, {}, 1, 20))?.count
    const counted = async () => (await db.select({ n: count() }).from(users))[0].n
    const first = await makeUser()
    const second = await makeUser()
    expect(await total()).toBe(await counted())
    await db.run(sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
      INSERT INTO users (username, password) SELECT 'bulk-count-' || i, '!' FROM n`)
    expect(await total()).toBe(await counted())
    await db.delete(users).where(inArray(users.id, [first.id, second.id]))
    expect(await total()).toBe(await counted())
    await db.delete(users)
    expect(await total()).toBe(0)
  })

  it('count and page cost at most 2 D1 statements, for a numbered page and for `last`', async () => {
    await makeUser()
    for (const page of [1, 'last'] as const) {
      const before = d1QueryCount()
      const result = await listUsers(db, {}, page, 20)
      expect(result).not.toBeNull()
      expect(d1QueryCount() - before, String(page)).toBeLessThanOrEqual(2)
    }
  })

  it('parsePage follows DRF: absent → 1, positive integers and `last`, nothing else', () => {
    expect(parsePage(undefined)).toBe(1)
    expect(parsePage('7')).toBe(7)
    expect(parsePage('last')).toBe('last')
    for (const bad of ['0', '-1', 'abc', '1e3', ' 1', '', '9007199254740993']) expect(parsePage(bad), bad).toBeNull()
  })
})
