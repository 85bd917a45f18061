/**
 * Compact token rows (docs/capacity.md): an access + refresh token pair, with every index of the
 * two tables, takes at most 340 bytes of the database. SQLite's `dbstat` table and `PRAGMA
 * page_count` are not available in D1, so the size comes from D1 itself: every result's
 * `meta.size_after` (the database's bytes, what D1's 10 GB cap counts) before and after a batch of
 * grants, issued through the token store as the token endpoint issues them.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { issueTokens, makeApplication, makeUser, testStore } from '../helpers.ts'

const databaseBytes = async () => (await env.DB.prepare('SELECT 1').run()).meta.size_after

async function issuePairs(n: number, user: { id: number; username: string }, app: { id: number; clientId: string }) {
  const store = testStore()
  for (let i = 0; i < n; i++) {
    await issueTokens(store, {
      userId: user.id,
      username: user.username,
      applicationId: app.id,
      clientId: app.clientId,
      scopes: ['read', 'write'],
      accessLifetime: 86_400,
      refreshLifetime: 1_209_600,
    })
  }
}

describe('token row size', () => {
  it('an access + refresh token pair takes at most 340 bytes, indexes included', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    // Warm up first: free pages left by earlier statements are reused before the file grows, and
    // the digest indexes settle to their steady fill (random keys split pages about 70% full).
    await issuePairs(300, user, app)
    const before = await databaseBytes()
    const pairs = 1500
    await issuePairs(pairs, user, app)
    const perPair = ((await databaseBytes()) - before) / pairs
    console.log(`bytes per access + refresh pair: ${perPair.toFixed(1)}`)
    expect(perPair).toBeLessThanOrEqual(340)
  }, 120_000)
})
