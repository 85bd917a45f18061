/**
 * @module
 * Revoking tokens: one access token (RFC 7009), one of the user's or owner's by id (each in the
 * shard its token or number names), every token of an application, an owner or a user (in every
 * token database at once, ./fan-out.ts), and the changes of the main database that end a user's
 * or an application's tokens (deactivation, a new password, deletion: behind the fences of
 * ./fences.ts), with the user's API keys (./api-keys.ts, main database). The token databases
 * first, then the main database, then every cache tier forgets what went.
 */
import { and, eq, gt, inArray, isNull, or, type SQL } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Db } from '../db/client.ts'
import { accessTokens, applications, authorizationCodes, refreshTokens } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { presentedAccessToken } from './access-tokens.ts'
import { deleteUserApiKeys, forgetApiKeys, userApiKeyDigests } from './api-keys.ts'
import { fencedChange, revokeInEveryShard, runInMain } from './fan-out.ts'
import { FOREVER, type GrantFacts, stillAsRead } from './fences.ts'
import type { JwtAccessTokenVerification } from './jwt-access-tokens.ts'
import { ownedBy, type TokenOwner } from './lists.ts'
import { refreshTokenFamily, revokeFamily } from './refresh-tokens.ts'
import { parseTokenId } from './shards.ts'
import { forgetAccessTokens, type TokenStore } from './store.ts'

/**
 * Statements of the main database that record a change (the console's audit row): written first,
 * alone, so that nothing is changed when they cannot be (./fan-out.ts).
 */
type Also = BatchItem<'sqlite'>[]

/**
 * Revokes an access token of this application (RFC 7009), in its shard, an RFC 9068 JWT access
 * token too with `jwt` (its row, found by its jti: ./jwt-access-tokens.ts); false when there is
 * none. Its refresh token stays usable, as in DOT (§2.1 leaves that to the server). `facts`: as for
 * `revokeRefreshToken`.
 */
export async function revokeAccessToken(
  store: TokenStore,
  token: string,
  applicationId: number,
  facts?: GrantFacts,
  jwt?: JwtAccessTokenVerification | null,
): Promise<boolean> {
  const presented = await presentedAccessToken(store, token, jwt)
  if (!presented) return false
  const deleted = await presented.where.db
    .delete(accessTokens)
    .where(
      and(
        eq(accessTokens.tokenHash, presented.digest),
        eq(accessTokens.applicationId, applicationId),
        facts && stillAsRead(facts),
      ),
    )
    .returning({ tokenHash: accessTokens.tokenHash })
  await forgetAccessTokens(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return deleted.length > 0
}

/**
 * Revokes every token issued to the application, in every token database: its access tokens go,
 * every unrevoked refresh token of it is retired, and the cache tiers forget them
 * (`manage revoketokens --application`).
 */
export async function revokeApplicationTokens(store: TokenStore, applicationId: number): Promise<void> {
  await revokeOwnerTokens(store, { applicationId })
}

/**
 * Deletes the application (`deletion`, after `also`) and every token, refresh token and code of
 * it: in every token database first, behind a fence that refuses any grant that read it, then the
 * row (ON DELETE CASCADE does the same again in the main database).
 */
export async function deleteApplicationTokens(
  store: TokenStore,
  applicationId: number,
  deletion: BatchItem<'sqlite'>,
  also: Also = [],
): Promise<void> {
  await fencedChange(store, {
    fenced: { application: applicationId },
    until: 'forever',
    inShard: (db) => deleteTokensOf(db, { applicationIds: [applicationId] }),
    change: [deletion],
    audit: also,
  })
}

/**
 * Revokes one of the user's access tokens (by the number the authorized-tokens page shows, which
 * names its shard) and the refresh token issued with it (DOT's AuthorizedTokenDeleteView); false
 * when there is no such token of theirs.
 */
export async function revokeAuthorizedToken(store: TokenStore, userId: number, tokenId: number): Promise<boolean> {
  const named = parseTokenId(tokenId)
  const where = named && store.shards.get(named.shard)
  if (!named || !where) return false
  const mine = and(eq(accessTokens.id, named.id), eq(accessTokens.userId, userId))
  return (await revokeAccessTokensWhere(store, where.db, mine)) > 0
}

/**
 * Revokes one token of the owner by its number (./shards.ts `publicTokenId`): an access token with
 * the refresh token issued with it, or a refresh token with its whole rotation family (as
 * /o/revoke_token/ does), after `also`. False when the owner has no such token (then nothing is written).
 */
export async function revokeTokenById(
  store: TokenStore,
  owner: TokenOwner,
  kind: 'access' | 'refresh',
  tokenId: number,
  also: Also = [],
): Promise<boolean> {
  const named = parseTokenId(tokenId)
  const where = named && store.shards.get(named.shard)
  if (!named || !where) return false
  if (kind === 'access') {
    const mine = and(eq(accessTokens.id, named.id), ownedBy(owner, accessTokens))
    if (!(await where.db.select({ id: accessTokens.id }).from(accessTokens).where(mine).get())) return false
    await runInMain(store, also)
    return (await revokeAccessTokensWhere(store, where.db, mine)) > 0
  }
  const row = await where.db
    .select({ id: refreshTokens.id, familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.id, named.id), ownedBy(owner, refreshTokens), isNull(refreshTokens.revokedAt)))
    .get()
  if (!row) return false
  await runInMain(store, also)
  await revokeFamily(store, where, refreshTokenFamily(row))
  return true
}

/**
 * Revokes every OAuth token of the owner in every token database, after `also`: access tokens
 * deleted and every unrevoked refresh token retired (also those whose access token is already
 * gone), and the cache tiers forget them. Sessions and API keys are not touched. Returns how many
 * access tokens went.
 */
export async function revokeOwnerTokens(store: TokenStore, owner: TokenOwner, also: Also = []): Promise<number> {
  await runInMain(store, also)
  const revoked = await revokeInEveryShard(store, (db) => [
    db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(ownedBy(owner, refreshTokens), isNull(refreshTokens.revokedAt))),
    db.delete(accessTokens).where(ownedBy(owner, accessTokens)).returning({ tokenHash: accessTokens.tokenHash }),
  ])
  return revoked.length
}

/**
 * Deletes the access tokens matching `where` in one token database and retires the refresh tokens
 * issued with them (one batch), then purges their cache entries. Returns how many access tokens went.
 */
async function revokeAccessTokensWhere(store: TokenStore, db: Db, where: SQL | undefined): Promise<number> {
  // drizzle reads a missing condition as every row: never here.
  if (where === undefined) return 0
  const matching = db.select({ id: accessTokens.id }).from(accessTokens).where(where)
  const [, deleted] = await db.batch([
    db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(inArray(refreshTokens.accessTokenId, matching), isNull(refreshTokens.revokedAt))),
    db.delete(accessTokens).where(where).returning({ tokenHash: accessTokens.tokenHash }),
  ])
  await forgetAccessTokens(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return deleted.length
}

/**
 * A user is deactivated (`change`, which must move their session generation on), after `also`:
 * every token database raises the user's fence and reads the digests of their live access tokens,
 * which leave every cache tier; then `change` runs in one batch of the main database, with the read
 * of their API keys' digests, which leave the caches too. The token rows stay: every lookup that
 * reaches D1 checks the user is active, so reactivation restores them (as DOT's validator checks
 * is_active), and the fence refuses a grant that read the user before the change.
 */
export async function forgetUserTokens(
  store: TokenStore,
  userId: number,
  change: BatchItem<'sqlite'>,
  also: Also = [],
): Promise<void> {
  const results = await fencedChange(store, {
    fenced: { user: userId },
    until: 'next',
    inShard: (db) => [
      db
        .select({ tokenHash: accessTokens.tokenHash })
        .from(accessTokens)
        .where(and(eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds()))),
    ],
    change: [change, userApiKeyDigests(store.db, userId)],
    audit: also,
  })
  await forgetApiKeys(store, results[1] as { keyHash: string }[])
}

/**
 * A user is deleted (`deletion`), after `also`: in every token database, fences that refuse for
 * ever the user and the applications they own, and every token and code of the user or of those
 * applications (whoever they were issued to) deleted; then the deletion in the main database (with
 * what cascades from it: their applications, their API keys, read first to leave the caches).
 */
export async function forgetDeletedUserTokens(
  store: TokenStore,
  userId: number,
  deletion: BatchItem<'sqlite'>,
  also: Also = [],
): Promise<void> {
  const owned = await store.db.select({ id: applications.id }).from(applications).where(eq(applications.userId, userId))
  const applicationIds = owned.map((row) => row.id)
  const [keys] = await fencedChange(store, {
    fenced: { user: userId },
    until: 'forever',
    alsoForever: { applications: applicationIds.map((id) => ({ id, generation: FOREVER })) },
    inShard: (db) => deleteTokensOf(db, { userId, applicationIds }),
    change: [userApiKeyDigests(store.db, userId), deletion],
    audit: also,
  })
  await forgetApiKeys(store, keys as { keyHash: string }[])
}

/** Deletes every token and code of the user or of the applications (RETURNING the access tokens' digests). */
function deleteTokensOf(db: Db, of: { userId?: number; applicationIds: number[] }): BatchItem<'sqlite'>[] {
  const tokensOf = (table: typeof accessTokens | typeof refreshTokens | typeof authorizationCodes) =>
    or(
      of.userId === undefined ? undefined : eq(table.userId, of.userId),
      of.applicationIds.length > 0 ? inArray(table.applicationId, of.applicationIds) : undefined,
    )
  return [
    db.delete(refreshTokens).where(tokensOf(refreshTokens)),
    db.delete(accessTokens).where(tokensOf(accessTokens)).returning({ tokenHash: accessTokens.tokenHash }),
    db.delete(authorizationCodes).where(tokensOf(authorizationCodes)),
  ]
}

/**
 * Revokes every OAuth token of the user (access tokens deleted, refresh tokens retired) in every
 * token database and their API keys, after `also`; with `change` (a new password, log out
 * everywhere: it must move their session generation on), behind the user's fence, so that whoever
 * knew the old password keeps nothing it let them mint. Without `change`: `manage revoketokens --user`.
 */
export async function revokeUserTokens(
  store: TokenStore,
  userId: number,
  change?: BatchItem<'sqlite'>,
  also: Also = [],
): Promise<void> {
  const inShard = (db: Db) => [
    db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt))),
    db.delete(accessTokens).where(eq(accessTokens.userId, userId)).returning({ tokenHash: accessTokens.tokenHash }),
  ]
  if (change) {
    const results = await fencedChange(store, {
      fenced: { user: userId },
      until: 'next',
      inShard,
      change: [change, deleteUserApiKeys(store.db, userId)],
      audit: also,
    })
    await forgetApiKeys(store, results[1] as { keyHash: string }[])
    return
  }
  await runInMain(store, also)
  await revokeInEveryShard(store, inShard)
  const [keys] = await store.db.batch([deleteUserApiKeys(store.db, userId)])
  await forgetApiKeys(store, keys)
}
