/**
 * @module
 * drizzle over the D1 binding. One drizzle instance per binding object, and a query
 * counter that tests and the benchmark read to prove a path made no D1 query.
 */
import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1'
import * as schema from './schema.ts'

export type Db = DrizzleD1Database<typeof schema>

let queries = 0

/** D1 statements run since the isolate started (each statement of a batch counts). */
export function d1QueryCount(): number {
  return queries
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

function counted(d1: D1Database): D1Database {
  return intercept(d1, (property, args) => {
    if (property === 'prepare') return countedStatement(d1.prepare(args[0] as string))
    if (property === 'exec') queries++
    if (property === 'batch') {
      const statements = args[0] as D1PreparedStatement[]
      queries += statements.length
      return d1.batch(statements.map((statement) => underlying.get(statement) ?? statement))
    }
    return undefined
  })
}

const instances = new WeakMap<D1Database, Db>()

export function getDb(d1: D1Database): Db {
  let db = instances.get(d1)
  if (!db) {
    db = drizzle(counted(d1), { schema })
    instances.set(d1, db)
  }
  return db
}
