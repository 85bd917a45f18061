/**
 * Runs before every test file. The workerd project does not isolate files (vitest.config.ts:
 * `isolate: false`: the Worker's modules are transformed and loaded once per run, not once per
 * file), so each file starts here from empty storage and the schema, as in a fresh runtime.
 */
import { env, reset } from 'cloudflare:test'
import { useMinimumPasswordHashCost } from '../src/crypto/passwords.ts'
import { countBindings, shardBindingNames, uncounted } from './counting.ts'
import { installWindowLimiters } from './rate-limits.ts'
import { recordTimeFloors } from './time-floor.ts'

/**
 * Deletes what `reset()` left. After a file writes much (over ~1,000 statements: SQLite's WAL has
 * been checkpointed), workerd's reset of a storage object's database keeps its tables and rows,
 * so D1's tables and KV's keys are checked (one query and one list when nothing is left) and
 * deleted here.
 */
async function deleteWhatResetLeft(db: D1Database, kv: KVNamespace): Promise<void> {
  await deleteTables(db)
  for (let page = await kv.list(); page.keys.length; page = await kv.list()) {
    await Promise.all(page.keys.map(({ name }) => kv.delete(name)))
  }
}

async function deleteTables(db: D1Database): Promise<void> {
  const left = await db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table'
       AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid DESC`,
    )
    .all<{ name: string }>()
  // Newest first, and again for those a foreign key still held: a referenced table goes after the
  // tables that reference it.
  let tables = left.results.map(({ name }) => name)
  while (tables.length) {
    const kept: string[] = []
    for (const name of tables) {
      await db
        .prepare(`DROP TABLE "${name.replaceAll('"', '""')}"`)
        .run()
        .catch(() => kept.push(name))
    }
    if (kept.length === tables.length) throw new Error(`test setup: cannot drop ${kept.join(', ')}`)
    tables = kept
  }
}

const db = uncounted(env.DB)
const bindings = env as unknown as Record<string, D1Database>
// The token shards (wrangler.toml's TOKEN_SHARD_ bindings, src/tokens/shards.ts), each from its own schema.
const shardBindings = shardBindingNames(env)
const shards = shardBindings.map((name) => uncounted(bindings[name]))
await reset()
await deleteWhatResetLeft(db, uncounted(env.TOKEN_CACHE))
await Promise.all(shards.map((shard) => deleteTables(shard)))
await Promise.all([
  db.batch(env.TEST_SCHEMA.map((statement) => db.prepare(statement))),
  ...shards.map((shard) => shard.batch(env.TEST_SHARD_SCHEMA.map((statement) => shard.prepare(statement)))),
])

// New password hashes at the cheapest valid cost, as vitest.config.ts binds it (the suites about
// hashing restore production's: `productionPasswordCost` in test/helpers.ts).
useMinimumPasswordHashCost(env.TEST_PASSWORD_HASH_COST === 'minimum')

// Login time floors recorded, not waited for (test/time-floor.ts).
recordTimeFloors()

// Rate limiters whose window lasts the whole file: no test straddles a minute (test/rate-limits.ts).
installWindowLimiters(env, env.TEST_RATE_LIMITS)

// The pool's env is the one SELF.fetch hands the Worker and the tests import, so counting its
// bindings here counts every request and every helper query (test/counting.ts).
const counted = countBindings(env)
env.DB = counted.DB
env.TOKEN_CACHE = counted.TOKEN_CACHE
for (const name of shardBindings) bindings[name] = (counted as unknown as Record<string, D1Database>)[name]
