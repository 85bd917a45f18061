/**
 * @module
 * D1 migrations on the local database, as `wrangler d1 migrations apply DB --local` applies them:
 * wrangler's `d1_migrations` table, each pending file (in name order) run with the INSERT that
 * records it, in one transaction. Here without starting a workerd per file, and in one line.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// wrangler's own statement (d1 migrations), so either tool reads what the other recorded.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`

function migrationFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.sql'))
    .sort()
}

/** The migration files not yet recorded in `d1_migrations` (all of them in a new database). */
export async function pendingMigrations(db: D1Database, directory: string): Promise<string[]> {
  const applied = await db
    .prepare('SELECT name FROM d1_migrations')
    .all<{ name: string }>()
    .then((result) => new Set(result.results.map((row) => row.name)))
    .catch((error: Error) => {
      if (/no such table/i.test(error.message)) return new Set<string>()
      throw error
    })
  return migrationFiles(directory).filter((name) => !applied.has(name))
}

/** Applies every pending migration, each in its own transaction; returns their names. */
export async function applyMigrations(db: D1Database, directory: string): Promise<string[]> {
  const pending = await pendingMigrations(db, directory)
  if (pending.length === 0) return pending
  await db.exec(CREATE_TABLE)
  for (const name of pending) {
    const sql = readFileSync(join(directory, name), 'utf8')
    try {
      await db.exec(`${sql}\nINSERT INTO d1_migrations (name) VALUES ('${name.replace(/'/g, "''")}');`)
    } catch (error) {
      throw new Error(`Migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return pending
}
