import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '../db/client.ts'
import { users } from '../db/schema.ts'
import { retryingWhenBusy } from './busy-retry.ts'

const BUSY = () => new Error('D1_ERROR: database is locked: SQLITE_BUSY')

/** env.DB, whose first `failures` calls of each kind fail as a locked database does. */
function lockedFor(failures: number) {
  const calls = { run: 0, batch: 0 }
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          const real = target.prepare(query)
          return new Proxy(real, {
            get(statement, name) {
              const value = Reflect.get(statement, name, statement)
              if (name === 'bind')
                return (...values: unknown[]) => {
                  const bound = statement.bind(...values)
                  return new Proxy(bound, {
                    get(inner, key) {
                      const method = Reflect.get(inner, key, inner)
                      if (key === 'all' || key === 'run' || key === 'raw' || key === 'first') {
                        return (...args: unknown[]) =>
                          calls.run++ < failures ? Promise.reject(BUSY()) : method.apply(inner, args)
                      }
                      return typeof method === 'function' ? method.bind(inner) : method
                    },
                  })
                }
              return typeof value === 'function' ? value.bind(statement) : value
            },
          })
        }
      }
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) =>
          calls.batch++ < failures ? Promise.reject(BUSY()) : target.batch(statements)
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, calls }
}

describe('the CLI’s D1 binding retries while the local database is busy (wrangler dev running)', () => {
  it('a query and a batch through drizzle succeed after SQLITE_BUSY failures, waiting longer each time', async () => {
    const { db, calls } = lockedFor(3)
    const waits: number[] = []
    const orm = getDb(retryingWhenBusy(db, async (ms) => void waits.push(ms)))
    expect(await orm.select().from(users).where(eq(users.id, -1))).toEqual([])
    expect(waits).toEqual([100, 200, 400])
    const [first, second] = await orm.batch([
      orm.select({ id: users.id }).from(users).where(eq(users.id, -1)),
      orm.select({ id: users.id }).from(users).where(eq(users.id, -2)),
    ])
    expect([first, second]).toEqual([[], []])
    expect(calls.batch).toBe(4)
  })

  it('gives up after ~25 s of SQLITE_BUSY with a clear message; other errors are not retried', async () => {
    const { db } = lockedFor(100)
    const waits: number[] = []
    const orm = getDb(retryingWhenBusy(db, async (ms) => void waits.push(ms)))
    // drizzle wraps it (`Failed query: …`); manage.ts prints the cause, this message.
    const error = await orm
      .select()
      .from(users)
      .catch((failure: Error) => failure)
    expect((error as Error).cause).toBeInstanceOf(Error)
    expect(((error as Error).cause as Error).message).toMatch(/^The local database stayed locked \(SQLITE_BUSY\)/)
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(25_500)
    const plain = retryingWhenBusy(env.DB, async (ms) => void waits.push(ms))
    const before = waits.length
    await expect(plain.prepare('SELECT * FROM no_such_table').all()).rejects.toThrow(/no such table/)
    expect(waits.length).toBe(before)
  })
})
