/**
 * Fault injection for tests: wrappers around the real D1 and KV bindings that fail on demand,
 * and a way to call the Worker's default export with them.
 */
import { env } from 'cloudflare:test'
import { shardBindingNames } from '../counting.ts'
import { fetchWorker, tokenDatabases } from '../helpers.ts'

const ORIGINAL = Symbol('original statement')

/**
 * D1 whose statements fail with `message` whenever `fails(sql)` is true (batches: when any would):
 * `database`, by default the main one (DB).
 */
export function faultyD1(
  fails: (sql: string) => boolean = () => true,
  message = 'D1_ERROR: injected fault: storage unavailable',
  database: D1Database = env.DB,
): D1Database {
  const sqlOf = new WeakMap<D1PreparedStatement, string>()
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped = new Proxy(statement, {
      get(target, property) {
        if (property === ORIGINAL) return target
        if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql)
        const value = Reflect.get(target, property, target)
        if (typeof value !== 'function') return value
        if (!fails(sql)) return value.bind(target)
        return () => Promise.reject(new Error(message))
      },
    })
    sqlOf.set(wrapped, sql)
    return wrapped
  }
  return faultyDatabase(database, fails, message, wrap, sqlOf)
}

/** Bindings for `fetchWith` in which every token database (DB and each token shard) fails as `faultyD1` does. */
export function faultyTokenDatabases(fails?: (sql: string) => boolean): Partial<Env> {
  const names = ['DB', ...shardBindingNames(env)]
  const databases = tokenDatabases()
  return Object.fromEntries(names.map((name, index) => [name, faultyD1(fails, undefined, databases[index].d1)]))
}

/** The binding or one of its read sessions (Sessions API), with the same faults. */
function faultyDatabase<T extends D1Database | D1DatabaseSession>(
  database: T,
  fails: (sql: string) => boolean,
  message: string,
  wrap: (statement: D1PreparedStatement, sql: string) => D1PreparedStatement,
  sqlOf: WeakMap<D1PreparedStatement, string>,
): T {
  return new Proxy(database, {
    get(target, property) {
      if (property === 'withSession') {
        return (...args: unknown[]) =>
          faultyDatabase((target as D1Database).withSession(...(args as [string])), fails, message, wrap, sqlOf)
      }
      if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql)
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          if (statements.some((statement) => fails(sqlOf.get(statement) ?? ''))) {
            return Promise.reject(new Error(message))
          }
          const originals = statements.map((s) => (s as unknown as Record<symbol, D1PreparedStatement>)[ORIGINAL])
          return target.batch(originals)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** KV that throws (`mode: 'throw'`) or never answers (`mode: 'hang'`) on reads; writes go through. */
export function faultyKV(mode: 'throw' | 'hang', calls: { get: number; put: number } = { get: 0, put: 0 }) {
  const kv = new Proxy(env.TOKEN_CACHE, {
    get(target, property) {
      if (property === 'get') {
        return () => {
          calls.get++
          return mode === 'throw' ? Promise.reject(new Error('KV GET failed: 503 injected')) : new Promise(() => {})
        }
      }
      const value = Reflect.get(target, property, target)
      if (property === 'put') calls.put++
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { kv, calls }
}

/** The Worker's default export called directly, with some bindings replaced. */
export function fetchWith(bindings: Partial<Env>, request: Request): Promise<Response> {
  return fetchWorker(request, { ...env, ...bindings })
}
