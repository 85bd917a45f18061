/**
 * @module
 * The database every test file starts from, as one list of statements that test/setup.ts runs in
 * one D1 batch (one round trip, where `applyD1Migrations` makes two per migration): every
 * migration's statements in order, then wrangler's `d1_migrations` table recording each one, as
 * `wrangler d1 migrations apply` leaves a new database. test/platform/schema.test.ts checks that
 * applying the migrations one by one gives exactly the same `sqlite_master` and rows.
 */

type Migration = { name: string; queries: string[] }

/** wrangler's record of applied migrations, created as `applyD1Migrations` and wrangler create it. */
export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "d1_migrations" (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
	);`

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`

/** The statements that give an empty D1 database the schema (and seed rows) of `migrations`. */
export function schemaStatements(migrations: Migration[]): string[] {
  return [
    MIGRATIONS_TABLE,
    ...migrations.flatMap((migration) => migration.queries),
    ...migrations.map((migration) => `INSERT INTO "d1_migrations" (name) VALUES (${quote(migration.name)});`),
  ]
}
