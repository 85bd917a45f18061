/**
 * @module
 * The CLI's D1 binding, retried while the local database is busy. `wrangler dev` and a `manage`
 * command open the same SQLite file (.wrangler/state/v3/d1) from two processes; a write while
 * the other holds the lock fails with SQLITE_BUSY. A statement or batch that failed so did
 * nothing (a batch is one transaction), so running it again is safe: it is retried with
 * backoff (about 25 s in all) instead of ending the command with a stack trace.
 */

const BUSY = /SQLITE_BUSY|database is locked/i
const ATTEMPTS = 9
const FIRST_WAIT_MS = 100

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

function isBusy(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (BUSY.test(current.message)) return true
  }
  return false
}

async function retried<T>(run: () => Promise<T>, wait: (ms: number) => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (attempt >= ATTEMPTS || !isBusy(error)) {
        if (isBusy(error)) {
          throw new Error(
            'The local database stayed locked (SQLITE_BUSY) for ~25 s: is a long write running in wrangler dev? Try again.',
            { cause: error },
          )
        }
        throw error
      }
      await wait(FIRST_WAIT_MS * 2 ** (attempt - 1))
    }
  }
}

const RUNS = new Set<PropertyKey>(['first', 'run', 'all', 'raw'])

/** `db` whose statements, batches and exec are retried while the database is busy. */
export function retryingWhenBusy(db: D1Database, wait: (ms: number) => Promise<void> = sleep): D1Database {
  // The real statements behind the wrappers: D1's batch takes only its own.
  const originals = new WeakMap<object, D1PreparedStatement>()
  const statement = (real: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = new Proxy(real, {
      get(target, property) {
        const value = Reflect.get(target, property, target)
        if (property === 'bind') return (...values: unknown[]) => statement(target.bind(...values))
        if (RUNS.has(property) && typeof value === 'function') {
          return (...args: unknown[]) => retried(() => value.apply(target, args), wait)
        }
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    originals.set(wrapped, real)
    return wrapped
  }
  return new Proxy(db, {
    get(target, property) {
      if (property === 'prepare') return (query: string) => statement(target.prepare(query))
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) =>
          retried(() => target.batch(statements.map((item) => originals.get(item) ?? item)), wait)
      }
      if (property === 'exec') return (query: string) => retried(() => target.exec(query), wait)
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
