/**
 * @module
 * drizzle over the D1 binding: the primary (every write) and read sessions that D1 read
 * replication may serve from a replica.
 */
import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1'
import * as schema from './schema.ts'

export type Db = DrizzleD1Database<typeof schema>

const instances = new WeakMap<D1Database, Db>()

export function getDb(d1: D1Database): Db {
  let db = instances.get(d1)
  if (!db) {
    db = drizzle(d1, { schema })
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
function isBookmark(value: string | null | undefined): value is string {
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
  const db = drizzle(session as unknown as D1Database, { schema })
  return { db, bookmark: () => session.getBookmark() }
}
