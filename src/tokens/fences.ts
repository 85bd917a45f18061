/**
 * @module
 * Fences: how the facts of the main database stay true in token shards that cannot read it. A
 * grant reads the client and the user from a replica of the main database, and writes its tokens
 * to a shard; the replica may not have seen a change made a moment ago (a user deactivated, a new
 * password or client secret, a deletion). So every such change first writes, in every token
 * database, the generation it moves the user or application to (`user_fences`,
 * `application_fences`), then changes the main database (moving `users.session_generation` or
 * `applications.generation` there). A grant's write carries the generations it read and matches
 * no row while a fence in its shard is higher (`stillAsRead`): the stale read is refused by the
 * shard itself, in the same statement, at the same moment, without a round trip to the main
 * primary. ./fan-out.ts runs the changes; a token's cache entry is confirmed the same way
 * (src/tokens/access-tokens.ts).
 */
import { and, gt, notExists, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { QueryBuilder } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/client.ts'
import { type Application, applicationFences, type User, userFences } from '../db/schema.ts'

/** A fence no generation passes: a deleted user or application (ids are never reused). */
export const FOREVER = Number.MAX_SAFE_INTEGER

/** What a grant read from the main database, as its write re-checks it in the shard. */
export type GrantFacts = {
  application: Pick<Application, 'id' | 'generation'>
  /** The user the tokens act for; null or absent for a client acting for itself. */
  user?: Pick<User, 'id' | 'sessionGeneration'> | null
}

/** Fences to raise: who, and the generation a read must have reached. */
export type Fences = {
  users?: { id: number; generation: number }[]
  applications?: { id: number; generation: number }[]
}

/**
 * A condition that holds while no fence in the token database is above what `facts` read: put in
 * the WHERE of the statement that writes (an INSERT … SELECT, an UPDATE).
 */
export function stillAsRead(facts: GrantFacts): SQL {
  const qb = new QueryBuilder()
  const { application, user } = facts
  return and(
    notExists(
      qb
        .select({ id: applicationFences.applicationId })
        .from(applicationFences)
        .where(
          and(
            sql`${applicationFences.applicationId} = ${application.id}`,
            gt(applicationFences.generation, application.generation),
          ),
        ),
    ),
    user
      ? notExists(
          qb
            .select({ id: userFences.userId })
            .from(userFences)
            .where(and(sql`${userFences.userId} = ${user.id}`, gt(userFences.generation, user.sessionGeneration))),
        )
      : undefined,
  ) as SQL
}

/** The statements that raise `fences` in one token database (a fence never moves down). */
export function raiseFences(db: Db, fences: Fences): BatchItem<'sqlite'>[] {
  const users = (fences.users ?? []).map(({ id, generation }) =>
    db
      .insert(userFences)
      .values({ userId: id, generation })
      .onConflictDoUpdate({
        target: userFences.userId,
        set: { generation: sql`max(${userFences.generation}, excluded.generation)` },
      }),
  )
  const applications = (fences.applications ?? []).map(({ id, generation }) =>
    db
      .insert(applicationFences)
      .values({ applicationId: id, generation })
      .onConflictDoUpdate({
        target: applicationFences.applicationId,
        set: { generation: sql`max(${applicationFences.generation}, excluded.generation)` },
      }),
  )
  return [...users, ...applications]
}
