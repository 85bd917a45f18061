/**
 * @module
 * D1 and KV operation counters for the tests and the benchmark, never for the deployed Worker:
 * `countBindings(env)` wraps `env.DB` and `env.TOKEN_CACHE` in counting proxies before the app
 * sees them (test/setup.ts for the test pool, bench/entry.ts for the benchmark build), so a
 * test or a benchmark row can prove that a path made no D1 query or no KV read.
 */

let queries = 0
let reads = 0
let writes = 0

/** D1 statements run since the isolate started (each statement of a batch counts). */
export function d1QueryCount(): number {
  return queries
}

/** KV reads (`get`, `getWithMetadata`) since the isolate started. */
export function kvReadCount(): number {
  return reads
}

/** KV writes (`put`, `delete`) since the isolate started. */
export function kvWriteCount(): number {
  return writes
}

const RUNS = new Set<PropertyKey>(['first', 'all', 'run', 'raw'])

/** Forwards every property to `target`, running `around` before the methods it names. */
function intercept<T extends object>(target: T, around: (property: PropertyKey, args: unknown[]) => unknown): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const replaced = around(property, args)
        return replaced === undefined ? (value as (...a: unknown[]) => unknown).apply(object, args) : replaced
      }
    },
  })
}

// The statement each counting proxy stands for, so a batch hands D1 its own statements back.
const underlying = new WeakMap<D1PreparedStatement, D1PreparedStatement>()

// Counts statements when they run, not when they are prepared: drizzle sometimes prepares one twice.
function countedStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const proxy = intercept(statement, (property, args) => {
    if (RUNS.has(property)) queries++
    // bind() returns a new statement, which must be counted too.
    if (property === 'bind') return countedStatement(statement.bind(...args))
    return undefined
  })
  underlying.set(proxy, statement)
  return proxy
}

// A D1 Sessions API session (D1 read replication) is counted like the binding it came from.
function countedD1<T extends D1Database | D1DatabaseSession>(d1: T): T {
  return intercept(d1, (property, args) => {
    if (property === 'prepare') return countedStatement(d1.prepare(args[0] as string))
    if (property === 'exec') queries++
    if (property === 'batch') {
      const statements = args[0] as D1PreparedStatement[]
      queries += statements.length
      return d1.batch(statements.map((statement) => underlying.get(statement) ?? statement))
    }
    if (property === 'withSession') {
      return countedD1((d1 as D1Database).withSession(...(args as Parameters<D1Database['withSession']>)))
    }
    return undefined
  })
}

const KV_READS = new Set<PropertyKey>(['get', 'getWithMetadata'])
const KV_WRITES = new Set<PropertyKey>(['put', 'delete'])

function countedKv(kv: KVNamespace): KVNamespace {
  return intercept(kv, (property) => {
    if (KV_READS.has(property)) reads++
    else if (KV_WRITES.has(property)) writes++
    return undefined
  })
}

// One proxy per binding object, so the app's per-binding caches (src/db/client.ts getDb) still hit.
const wrapped = new WeakMap<object, object>()

function once<T extends object>(binding: T, wrap: (binding: T) => T): T {
  let proxy = wrapped.get(binding) as T | undefined
  if (!proxy) {
    proxy = wrap(binding)
    wrapped.set(binding, proxy)
    wrapped.set(proxy, proxy)
  }
  return proxy
}

/**
 * `env` with DB and TOKEN_CACHE counted and the other bindings as they are; the same object for
 * the same `env`, so what the app caches per env (src/config.ts) is reused as in production.
 */
export function countBindings<E extends { DB: D1Database; TOKEN_CACHE: KVNamespace }>(env: E): E {
  return once(env, (bindings) => ({
    ...bindings,
    DB: once(bindings.DB, countedD1),
    TOKEN_CACHE: once(bindings.TOKEN_CACHE, countedKv),
  }))
}
