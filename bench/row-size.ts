/**
 * @module
 * The row-size row: how many bytes of the database an access + refresh token pair takes, indexes
 * included (docs/capacity.md), with its budget of 340 bytes. SQLite's `dbstat` table and `PRAGMA
 * page_count` are not available in D1, so the size comes from D1 itself: a result's
 * `meta.size_after` (the database's bytes, what D1's 10 GB cap counts) before and after a batch of
 * grants, issued through the token store as the token endpoint issues them. A measurement, so it
 * lives here rather than in the test suite (where it took half a minute).
 */
import { keyedTokenFormat } from '../src/crypto/token-format.ts'
import { getDb } from '../src/db/client.ts'
import { issueTokensIf } from '../src/tokens/issue.ts'
import { standaloneTokenStore } from '../src/tokens/store.ts'
import type { Server } from './harness.ts'

export const ROW_SIZE_ROW = 'row-size'
/** The budget: bytes an access + refresh token pair may take, indexes included. */
export const ROW_SIZE_BUDGET_BYTES = 340
// Free pages left by earlier statements are reused before the file grows, and the digest indexes
// settle to their steady fill (random keys split pages about 70% full): warm up first.
const WARMUP_PAIRS = 300
const PAIRS = 1500

export type RowSize = { name: string; pairs: number; bytesPerPair: number; budgetBytes: number; holds: boolean }

/** Issues WARMUP_PAIRS then PAIRS grants (scopes `read write`) for one user and application of the seeded D1. */
export async function measureRowSize(server: Server, secretKey: string): Promise<RowSize> {
  const d1 = (await server.mf.getD1Database('DB')) as unknown as D1Database
  const kv = (await server.mf.getKVNamespace('TOKEN_CACHE')) as unknown as KVNamespace
  // Each grant's KV write and confirm run in the background, as in a request: awaited at the end.
  const background: Promise<unknown>[] = []
  const store = standaloneTokenStore(getDb(d1), kv, keyedTokenFormat(secretKey), (work) => background.push(work))
  const owner = await d1
    .prepare('SELECT (SELECT min(id) FROM users) AS userId, (SELECT min(id) FROM applications) AS applicationId')
    .first<{ userId: number; applicationId: number }>()
  if (!owner) throw new Error('row size: no user or application seeded')
  const client = await d1
    .prepare('SELECT client_id AS clientId FROM applications WHERE id = ?')
    .bind(owner.applicationId)
    .first<{ clientId: string }>()
  const issue = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const issued = await issueTokensIf(
        store,
        {
          userId: owner.userId,
          username: 'bench-user',
          applicationId: owner.applicationId,
          clientId: client?.clientId ?? '',
          scopes: ['read', 'write'],
          accessLifetime: 86_400,
          refreshLifetime: 1_209_600,
        },
        undefined,
      )
      if (!issued) throw new Error('row size: a grant was not issued')
    }
  }
  const databaseBytes = async () => (await d1.prepare('SELECT 1').run()).meta.size_after ?? Number.NaN
  await issue(WARMUP_PAIRS)
  const before = await databaseBytes()
  await issue(PAIRS)
  const bytesPerPair = ((await databaseBytes()) - before) / PAIRS
  await Promise.all(background)
  return {
    name: 'row size: bytes per access + refresh token pair, indexes included',
    pairs: PAIRS,
    bytesPerPair,
    budgetBytes: ROW_SIZE_BUDGET_BYTES,
    holds: bytesPerPair <= ROW_SIZE_BUDGET_BYTES,
  }
}

export function rowSizeTable(result: RowSize): string {
  return [
    `| ${result.name} | pairs | bytes per pair | budget |`,
    '| --- | --- | --- | --- |',
    `| D1 \`meta.size_after\` | ${result.pairs} | ${result.bytesPerPair.toFixed(1)} | ≤ ${result.budgetBytes} |`,
  ].join('\n')
}
