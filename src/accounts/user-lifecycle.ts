/**
 * @module
 * What ends a user's sessions: logout moves the user's session generation on, which ends
 * every session of the user at once (cookies are checked against D1 on every request).
 */
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { users } from '../db/schema.ts'

const nextGeneration = sql`${users.sessionGeneration} + 1`

/** Ends every session of the user, wherever its cookie was copied to (logout). */
export async function endUserSessions(db: Db, userId: number): Promise<void> {
  await db.update(users).set({ sessionGeneration: nextGeneration }).where(eq(users.id, userId))
}
