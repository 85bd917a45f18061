/**
 * @module
 * drizzle over the D1 binding: the primary (every write) and read sessions that D1 read
 * replication may serve from a replica. A query counter that tests and the benchmark read
 * to prove a path made no D1 query.
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

function counted<T extends D1Database | D1DatabaseSession>(d1: T): T {
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

/** A D1 Sessions API session: sequentially consistent reads, possibly from a replica. */
export type ReadSession = {
  db: Db
  /** The latest bookmark the session has seen; hand it to the next request of the same flow. */
  bookmark: () => string | null
}

// D1 bookmarks are opaque; what D1 returns today is hex and dashes, well under this length.
const BOOKMARK = /^[A-Za-z0-9-]{1,256}$/

/** True when a client-supplied value may be passed to `withSession` as a bookmark. */
export function isBookmark(value: string | null | undefined): value is string {
  return typeof value === 'string' && BOOKMARK.test(value)
}

/**
 * A D1 session. With a bookmark, D1 only answers from a replica at least that fresh, so a
 * client flow that carries the bookmark of its own write reads that write; without one,
 * `constraint` says where the first query may go ('first-unconstrained': any replica).
 * Queries on the plain binding (`getDb`) always go to the primary.
 */
export function openReadSession(
  d1: D1Database,
  bookmark: string | null | undefined,
  constraint: D1SessionConstraint,
): ReadSession {
  const session = d1.withSession(isBookmark(bookmark) ? bookmark : constraint)
  // drizzle's D1 driver only calls prepare() and batch(), which a session has too.
  const db = drizzle(counted(session) as unknown as D1Database, { schema })
  return { db, bookmark: () => session.getBookmark() }
}
