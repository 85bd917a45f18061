/**
 * @module
 * User- and application-wide work runs in every token database at once (./shards.ts): one round
 * trip's latency, one batch per database. The main database's change and the shards' are not one
 * transaction, so the order makes a failure safe: the audit row first (in the main database: no
 * change is made without it), then the shards (fences raised, tokens revoked), then the change in
 * the main database; the cache tiers forget what the shards revoked as soon as they answer. A shard
 * that fails stops the change before the main database is touched — what the other shards revoked
 * stays revoked and leaves the caches — so a partial failure leaves tokens revoked, never alive;
 * the change is then retried (every step can run again).
 */

import { eq, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Db } from '../db/client.ts'
import { applications, users } from '../db/schema.ts'
import { type Fences, FOREVER, raiseFences } from './fences.ts'
import type { TokenDb } from './shards.ts'
import { forgetAccessTokens, type TokenStore } from './store.ts'

/** Token shards that did not answer a fan-out: the main database was left as it was (test/platform/token-shards.test.ts). */
class ShardFanOutError extends Error {
  readonly shards: number[]

  constructor(failures: { shard: number; error: unknown }[]) {
    const shards = failures.map((failure) => failure.shard)
    super(
      `token shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')} failed; the change was not made (what the other shards revoked stays revoked): retry it`,
      { cause: failures[0]?.error },
    )
    this.name = 'ShardFanOutError'
    this.shards = shards
  }
}

/** Runs `work` in every token database at once; what each answered, and which failed. */
async function inEveryShard<T>(
  store: TokenStore,
  work: (tokenDb: TokenDb) => Promise<T>,
): Promise<{ answers: T[]; failures: { shard: number; error: unknown }[] }> {
  const shards = store.shards.all()
  const settled = await Promise.allSettled(shards.map(work))
  const answers: T[] = []
  const failures: { shard: number; error: unknown }[] = []
  settled.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') answers.push(outcome.value)
    else failures.push({ shard: shards[index].shard, error: outcome.reason })
  })
  return { answers, failures }
}

/** Statements run in every token database; the access token digests their RETURNING rows name are forgotten. */
export type ShardStatements = (db: Db) => BatchItem<'sqlite'>[]

/**
 * Runs `statements` in every token database (after `fences`, in the same batch), then forgets the
 * access tokens they returned (`{ tokenHash }` rows) in every cache tier, and returns their digests.
 * Throws ShardFanOutError when a database failed, after forgetting what the others returned.
 */
export async function revokeInEveryShard(
  store: TokenStore,
  statements: ShardStatements,
  fences: Fences = {},
): Promise<string[]> {
  const { answers, failures } = await inEveryShard(store, async ({ db }) => {
    const batch = [...raiseFences(db, fences), ...statements(db)]
    const [first, ...rest] = batch
    return first === undefined ? [] : await db.batch([first, ...rest])
  })
  const digests = answers.flatMap((results) => results.flatMap(tokenHashes))
  await forgetAccessTokens(store, digests)
  if (failures.length > 0) throw new ShardFanOutError(failures)
  return digests
}

function tokenHashes(result: unknown): string[] {
  if (!Array.isArray(result)) return []
  return result.flatMap((row) =>
    row !== null && typeof row === 'object' && typeof (row as { tokenHash?: unknown }).tokenHash === 'string'
      ? [(row as { tokenHash: string }).tokenHash]
      : [],
  )
}

/** Whose generation a change moves on: a user's (`session_generation`) or an application's. */
export type Fenced = { user: number } | { application: number }

/**
 * A change of the main database that ends or refuses tokens minted from an older read of a user
 * or an application (./fences.ts):
 * 0. `audit` (the console's audit row), alone in a batch of the main database: when it cannot be
 *    written, nothing is done;
 * 1. `until: 'next'`: the generation is read from the main primary, and the fence is the next one
 *    (`change` must move the generation on by one); `'forever'`: `change` deletes the row;
 * 2. in every token database, one batch: the fence raised (with `alsoForever`'s: the applications a
 *    deleted user owns), then `inShard` (revocations: what they return leaves the caches);
 * 3. `change` in one batch of the main database; its results are returned;
 * 4. when a concurrent change moved the generation further than the fence, step 2 runs again with
 *    it; when `main` did not move it (its row was not changed), it is moved to the fence, so the
 *    fence refuses nobody who reads the row from now on.
 * Throws ShardFanOutError before step 3 when a token database failed, and the error of step 3 when
 * it failed; the generation is then moved to the fence all the same (a user's sessions end), so the
 * shards that did raise it refuse no later read, and the change can be retried.
 */
export async function fencedChange(
  store: TokenStore,
  change: {
    fenced: Fenced
    until: 'next' | 'forever'
    alsoForever?: Fences
    inShard?: ShardStatements
    change: [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]
    audit?: BatchItem<'sqlite'>[]
  },
): Promise<unknown[]> {
  const { fenced } = change
  await runInMain(store, change.audit ?? [])
  const generation = change.until === 'forever' ? FOREVER : ((await currentGeneration(store.db, fenced)) ?? 0) + 1
  const fence = (value: number): Fences => ({
    users: [
      ...('user' in fenced ? [{ id: fenced.user, generation: value }] : []),
      ...(change.alsoForever?.users ?? []),
    ],
    applications: [
      ...('application' in fenced ? [{ id: fenced.application, generation: value }] : []),
      ...(change.alsoForever?.applications ?? []),
    ],
  })
  const inShard = change.inShard ?? (() => [])
  let results: unknown[]
  try {
    await revokeInEveryShard(store, inShard, fence(generation))
    results = await store.db.batch([...change.change, generationQuery(store.db, fenced)])
  } catch (error) {
    if (change.until === 'next') await moveGenerationTo(store.db, fenced, generation).catch(() => undefined)
    throw error
  }
  const [left] = results[results.length - 1] as { generation: number }[]
  if (change.until === 'next' && left !== undefined) {
    if (left.generation > generation) await revokeInEveryShard(store, inShard, fence(left.generation))
    if (left.generation < generation) await moveGenerationTo(store.db, fenced, generation)
  }
  return results.slice(0, -1)
}

/** Runs `statements` in one batch of the main database (none: nothing). */
export async function runInMain(store: TokenStore, statements: BatchItem<'sqlite'>[]): Promise<unknown[]> {
  const [first, ...rest] = statements
  return first ? await store.db.batch([first, ...rest]) : []
}

function generationQuery(db: Db, fenced: Fenced) {
  return 'user' in fenced
    ? db.select({ generation: users.sessionGeneration }).from(users).where(eq(users.id, fenced.user))
    : db
        .select({ generation: applications.generation })
        .from(applications)
        .where(eq(applications.id, fenced.application))
}

async function currentGeneration(db: Db, fenced: Fenced): Promise<number | undefined> {
  return (await generationQuery(db, fenced).get())?.generation
}

/** Moves the generation up to `generation` (never down). */
async function moveGenerationTo(db: Db, fenced: Fenced, generation: number): Promise<void> {
  if ('user' in fenced) {
    await db
      .update(users)
      .set({ sessionGeneration: sql`max(${users.sessionGeneration}, ${generation})` })
      .where(eq(users.id, fenced.user))
  } else {
    await db
      .update(applications)
      .set({ generation: sql`max(${applications.generation}, ${generation})` })
      .where(eq(applications.id, fenced.application))
  }
}
