/**
 * @module
 * drizzle over the D1 binding. One drizzle instance per binding object, and a query
 * counter that tests and the benchmark read to prove a path made no D1 query.
 */
import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1'
import * as schema from './schema.ts'

export type Db = DrizzleD1Database<typeof schema>

let queries = 0

/** D1 statements prepared since the isolate started. */
export function d1QueryCount(): number {
  return queries
}

function counted(d1: D1Database): D1Database {
  return new Proxy(d1, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (property === 'prepare' || property === 'exec') {
        return (...args: unknown[]) => {
          queries++
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
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
