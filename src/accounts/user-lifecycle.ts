/**
 * @module
 * What ends a user's sessions and credentials: logout, deactivation, a password change,
 * deletion. D1 first, then every token cache tier (src/tokens/revocation.ts), as revocation does:
 * - logout: the session generation moves on (every session of the user ends);
 * - deactivation: generation moves on; tokens and API key are forgotten from the caches but
 *   kept in D1, where every lookup refuses them while the user is inactive (DOT checks
 *   is_active the same way), so `activateUser` restores them;
 * - password change: generation moves on; every OAuth token and the API key are revoked;
 * - deletion: the row goes with everything that cascades from it, then the caches forget it;
 * - log out everywhere (operator console): as a password change, without changing the password;
 * - a change of the account's details (operator console): a deactivation or reactivation in it
 *   has the effects above.
 * Each takes `also` (the console's audit row): written in the change's own D1 batch, or, for a
 * change that fans out to the token shards, in a batch just before the fan-out, so a refused audit
 * row stops the change before any database is touched (src/tokens/fan-out.ts).
 * Other locations see a cache purge within KV's propagation delay (about 60 s) plus
 * TOKEN_MEMORY_CACHE_SECONDS, and a reactivation within TOKEN_NEGATIVE_CACHE_SECONDS; sessions
 * end everywhere at once (they are checked against D1).
 */
import { eq, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { hashPassword } from '../crypto/passwords.ts'
import type { Db } from '../db/client.ts'
import { type User, users } from '../db/schema.ts'
import { forgetUnknownCredentials } from '../tokens/cache.ts'
import { forgetDeletedUserTokens, forgetUserTokens, revokeUserTokens } from '../tokens/revocation.ts'
import type { TokenStore } from '../tokens/store.ts'

const nextGeneration = sql`${users.sessionGeneration} + 1`

/** The console's audit row: where it is written, see the module's header. */
type Also = BatchItem<'sqlite'>[]

/** Ends every session of the user, wherever its cookie was copied to (logout). */
export async function endUserSessions(db: Db, userId: number): Promise<void> {
  await db.update(users).set({ sessionGeneration: nextGeneration }).where(eq(users.id, userId))
}

/** Deactivates the user: sessions end, tokens and API key stop working (kept for reactivation). */
export async function deactivateUser(store: TokenStore, userId: number, also: Also = []): Promise<void> {
  const change = store.db
    .update(users)
    .set({ isActive: false, sessionGeneration: nextGeneration })
    .where(eq(users.id, userId))
  await forgetUserTokens(store, userId, change, also)
}

/**
 * Reactivates the user: their unexpired tokens and API key work again. Lookups refused while the
 * user was inactive are remembered as unknown (the negative cache): forgotten here at once; other
 * isolates accept the tokens again within TOKEN_NEGATIVE_CACHE_SECONDS.
 */
export async function activateUser(db: Db, userId: number, also: Also = []): Promise<void> {
  await db.batch([db.update(users).set({ isActive: true }).where(eq(users.id, userId)), ...also])
  forgetUnknownCredentials()
}

/** What Django admin's user change form sets besides the username and the password. */
export type UserDetails = Pick<User, 'email' | 'firstName' | 'lastName' | 'isActive' | 'isStaff' | 'isSuperuser'>

/**
 * Sets the user's details in one batch with `also`. Unsetting `isActive` deactivates (as
 * `deactivateUser`: sessions end, tokens stop, in the same batch); setting it reactivates.
 */
export async function changeUserDetails(
  store: TokenStore,
  user: Pick<User, 'id' | 'isActive'>,
  details: UserDetails,
  also: Also = [],
): Promise<void> {
  const deactivates = user.isActive && !details.isActive
  const change = store.db
    .update(users)
    .set(deactivates ? { ...details, sessionGeneration: nextGeneration } : details)
    .where(eq(users.id, user.id))
  if (deactivates) return forgetUserTokens(store, user.id, change, also)
  await store.db.batch([change, ...also])
  if (!user.isActive && details.isActive) forgetUnknownCredentials()
}

/**
 * Sets a new password: every session ends, and every OAuth token (access and refresh) and
 * the API key are revoked, so whoever knew the old password keeps nothing it let them mint.
 */
export async function setPassword(store: TokenStore, userId: number, password: string, also: Also = []): Promise<void> {
  const change = store.db
    .update(users)
    .set({ password: await hashPassword(password), sessionGeneration: nextGeneration })
    .where(eq(users.id, userId))
  await revokeUserTokens(store, userId, change, also)
}

/** Ends every session and revokes every OAuth token and the API key of the user; the password stays. */
export async function logOutEverywhere(store: TokenStore, userId: number, also: Also = []): Promise<void> {
  const change = store.db.update(users).set({ sessionGeneration: nextGeneration }).where(eq(users.id, userId))
  await revokeUserTokens(store, userId, change, also)
}

/**
 * Deletes the user with everything of theirs (ON DELETE CASCADE: tokens, codes, API key, their
 * applications and those applications' tokens), then purges all of it from the caches.
 */
export async function deleteUser(store: TokenStore, userId: number, also: Also = []): Promise<void> {
  await forgetDeletedUserTokens(store, userId, store.db.delete(users).where(eq(users.id, userId)), also)
}
