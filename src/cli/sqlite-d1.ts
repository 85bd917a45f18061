/**
 * @module
 * The local D1 database as `npm run manage` opens it: the SQLite file that `wrangler dev` keeps
 * (Miniflare's D1 object), opened with Node's own `node:sqlite` behind the part of the D1 binding's
 * API that drizzle and the CLI use. No workerd to start and no wrangler to load, so a command takes
 * the time of its queries. D1's semantics are kept: foreign keys enforced, a batch is one
 * transaction, booleans bound as 0/1, BLOBs read back as arrays of bytes, `meta.changes` and
 * `meta.last_row_id`. A running `wrangler dev` shares the file: SQLite's locks serialise the writers,
 * and a busy database is waited for (`timeout`) rather than failed.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'

/** How long a statement waits for a `wrangler dev` that holds the write lock. */
const BUSY_TIMEOUT_MS = 10_000

type Row = Record<string, unknown>

/** D1's binding rules: what D1 accepts, as SQLite stores it. */
function bindable(value: unknown, index: number): SQLInputValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    return value
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (Array.isArray(value)) return Uint8Array.from(value as number[])
  throw new TypeError(
    `D1_TYPE_ERROR: Type '${typeof value}' not supported for value '${String(value)}' (parameter ${index + 1})`,
  )
}

/** D1 hands BLOBs back as arrays of bytes. */
function readable(value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value
}

class SqliteStatement {
  readonly #database: DatabaseSync
  readonly sql: string
  readonly params: SQLInputValue[]

  constructor(database: DatabaseSync, sql: string, params: SQLInputValue[] = []) {
    this.#database = database
    this.sql = sql
    this.params = params
  }

  bind(...values: unknown[]): SqliteStatement {
    return new SqliteStatement(this.#database, this.sql, values.map(bindable))
  }

  /** Column names and rows as arrays: duplicate column names survive (drizzle's joins have them). */
  execute(): { columns: string[]; rows: unknown[][]; changes: number; lastRowId: number } {
    const statement: StatementSync = this.#database.prepare(this.sql)
    const columns = statement.columns().map((column) => column.name)
    if (columns.length === 0) {
      const { changes, lastInsertRowid } = statement.run(...this.params)
      return { columns, rows: [], changes: Number(changes), lastRowId: Number(lastInsertRowid) }
    }
    const before = this.#totalChanges()
    statement.setReturnArrays(true)
    const rows = (statement.all(...this.params) as unknown as unknown[][]).map((row) => row.map(readable))
    const { changes, lastRowId } = this.#changesSince(before)
    return { columns, rows, changes, lastRowId }
  }

  #totalChanges(): number {
    return Number((this.#database.prepare('SELECT total_changes() AS n').get() as Row).n)
  }

  #changesSince(before: number): { changes: number; lastRowId: number } {
    const row = this.#database.prepare('SELECT total_changes() AS n, last_insert_rowid() AS id').get() as Row
    return { changes: Number(row.n) - before, lastRowId: Number(row.id) }
  }

  result(): D1Result<Row> {
    const { columns, rows, changes, lastRowId } = this.execute()
    const results = rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]])))
    return {
      success: true,
      results,
      meta: {
        duration: 0,
        size_after: 0,
        rows_read: rows.length,
        rows_written: changes,
        last_row_id: lastRowId,
        changed_db: changes > 0,
        changes,
      },
    }
  }

  async all<T = Row>(): Promise<D1Result<T>> {
    return this.result() as unknown as D1Result<T>
  }

  async run<T = Row>(): Promise<D1Result<T>> {
    return this.all<T>()
  }

  async first<T = Row>(column?: string): Promise<T | null> {
    const row = this.result().results[0]
    if (row === undefined) return null
    return (column === undefined ? row : row[column]) as T
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const { columns, rows } = this.execute()
    return (options?.columnNames ? [columns, ...rows] : rows) as T[]
  }
}

/** The D1 binding's API over the SQLite file at `path` (created when missing, as Miniflare does). */
export function openSqliteD1(path: string): { d1: D1Database; close: () => void } {
  const database = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true })
  const inTransaction = <T>(work: () => T): T => {
    database.exec('BEGIN IMMEDIATE')
    try {
      const result = work()
      database.exec('COMMIT')
      return result
    } catch (error) {
      database.exec('ROLLBACK')
      throw error
    }
  }
  const d1 = {
    prepare: (sql: string) => new SqliteStatement(database, sql),
    batch: async (statements: SqliteStatement[]) =>
      inTransaction(() => statements.map((statement) => statement.result())),
    exec: async (sql: string) => {
      inTransaction(() => database.exec(sql))
      return { count: 1, duration: 0 }
    },
    // One connection to one file: every read sees every write, so a session is the database itself.
    withSession: () => ({ prepare: d1.prepare, batch: d1.batch, getBookmark: () => null }),
    dump: async () => {
      throw new Error('dump() is not supported on the local database')
    },
  }
  return { d1: d1 as unknown as D1Database, close: () => database.close() }
}
