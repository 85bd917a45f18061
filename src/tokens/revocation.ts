/**
 * @module
 * Revoking tokens: one access token (RFC 7009), one of the user's or owner's by id, every token
 * of an application, an owner or a user, and the user-wide revocations that take the user's
 * API keys (./api-keys.ts) with them. D1 first, in one batch where several tables change, then
 * every cache tier forgets what went.
 */
import { and, eq, gt, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { accessTokens, applications, refreshTokens } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { presentedAccessTokenDigest } from './access-tokens.ts'
import { deleteUserApiKeys, forgetApiKeys, userApiKeyDigests } from './api-keys.ts'
import type { JwtAccessTokenVerification } from './jwt-access-tokens.ts'
import { ownedBy, type TokenOwner } from './lists.ts'
import { refreshTokenFamily, revokeFamily } from './refresh-tokens.ts'
import { forgetAccessTokens, type TokenStore } from './store.ts'

/**
 * Revokes an access token of this application (RFC 7009), an RFC 9068 JWT access token too with
 * `jwt` (its row, found by its jti: ./jwt-access-tokens.ts); false when there is none. Its
 * refresh token stays usable, as in DOT (§2.1 leaves that to the server). `facts`: as for
 * `revokeRefreshToken`.
 */
export async function revokeAccessToken(
  store: TokenStore,
  token: string,
  applicationId: number,
  facts?: SQL,
  jwt?: JwtAccessTokenVerification | null,
): Promise<boolean> {
  const digest = await presentedAccessTokenDigest(store.format, token, jwt)
  if (digest === null) return false
  const deleted = await deleteAccessTokenRows(
    store,
    and(eq(accessTokens.tokenHash, digest), eq(accessTokens.applicationId, applicationId), facts),
  )
  return deleted > 0
}

/**
 * Revokes every token issued to the application (before it is deleted: `also`, in the same
 * batch, may delete it): its access tokens go, the refresh tokens issued with them are retired,
 * and the cache tiers forget them.
 */
export async function revokeApplicationTokens(
  store: TokenStore,
  applicationId: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  await revokeAccessTokensWhere(store, eq(accessTokens.applicationId, applicationId), also)
}

/**
 * Revokes one of the user's access tokens and the refresh token issued with it (DOT's
 * AuthorizedTokenDeleteView); false when there is no such token of theirs.
 */
export async function revokeAuthorizedToken(store: TokenStore, userId: number, tokenId: number): Promise<boolean> {
  if (!Number.isSafeInteger(tokenId)) return false
  return (await revokeAccessTokensWhere(store, and(eq(accessTokens.id, tokenId), eq(accessTokens.userId, userId)))) > 0
}

/**
 * Revokes one token of the owner by id: an access token with the refresh token issued with it,
 * or a refresh token with its whole rotation family (as /o/revoke_token/ does), in one batch
 * with `also`. False when the owner has no such token (then nothing is written).
 */
export async function revokeTokenById(
  store: TokenStore,
  owner: TokenOwner,
  kind: 'access' | 'refresh',
  id: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false
  if (kind === 'access') {
    const mine = and(eq(accessTokens.id, id), ownedBy(owner, accessTokens))
    const found = await store.db.select({ id: accessTokens.id }).from(accessTokens).where(mine).get()
    return found !== undefined && (await revokeAccessTokensWhere(store, mine, also)) > 0
  }
  const row = await store.db
    .select({ id: refreshTokens.id, familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.id, id), ownedBy(owner, refreshTokens), isNull(refreshTokens.revokedAt)))
    .get()
  if (!row) return false
  await revokeFamily(store, refreshTokenFamily(row), also)
  return true
}

/**
 * Revokes every OAuth token of the owner: access tokens deleted and every unrevoked refresh
 * token retired (also those whose access token is already gone), in one batch with `also`;
 * then the cache tiers forget them. Sessions and API keys are not touched. Returns how many
 * access tokens went.
 */
export async function revokeOwnerTokens(
  store: TokenStore,
  owner: TokenOwner,
  also: BatchItem<'sqlite'>[] = [],
): Promise<number> {
  const retire = store.db
    .update(refreshTokens)
    .set({ revokedAt: nowSeconds() })
    .where(and(ownedBy(owner, refreshTokens), isNull(refreshTokens.revokedAt)))
  return revokeAccessTokensWhere(store, ownedBy(owner, accessTokens), [retire, ...also])
}

/**
 * Deletes the access tokens matching `where` and retires the refresh tokens issued with
 * them (one batch, with `also` after them), then purges their KV entries. Returns how many
 * access tokens went.
 */
async function revokeAccessTokensWhere(
  store: TokenStore,
  where: SQL | undefined,
  also: BatchItem<'sqlite'>[] = [],
): Promise<number> {
  // drizzle reads a missing condition as every row: never here.
  if (where === undefined) return 0
  const matching = store.db.select({ id: accessTokens.id }).from(accessTokens).where(where)
  const [, deleted] = await store.db.batch([
    store.db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(inArray(refreshTokens.accessTokenId, matching), isNull(refreshTokens.revokedAt))),
    store.db.delete(accessTokens).where(where).returning({ tokenHash: accessTokens.tokenHash }),
    ...also,
  ])
  await forgetAccessTokens(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return deleted.length
}

/** Deletes access tokens without touching refresh tokens, then purges their KV entries. */
async function deleteAccessTokenRows(store: TokenStore, where: SQL | undefined): Promise<number> {
  if (where === undefined) return 0
  const deleted = await store.db.delete(accessTokens).where(where).returning({ tokenHash: accessTokens.tokenHash })
  await forgetAccessTokens(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return deleted.length
}

/**
 * A user was deactivated: `change` (the statement that deactivates them) runs in one D1
 * transaction with the read of their live access tokens' and API key's digests, which are
 * then forgotten in every cache tier. The D1 rows stay: every lookup that reaches D1 checks
 * the user is active, so reactivation restores them (as DOT's validator checks is_active).
 */
export async function forgetUserTokens(
  store: TokenStore,
  userId: number,
  change: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  await forgetWith(store, userId, eq(accessTokens.userId, userId), [change, ...also])
}

/**
 * A user is deleted: `deletion` runs in one D1 transaction with the read of every digest its
 * cascade removes (the user's access tokens and API key, and the access tokens of the
 * applications the user owns, whoever they were issued to), then those go from every cache
 * tier. Read and delete together, so no token issued in between escapes the purge.
 */
export async function forgetDeletedUserTokens(
  store: TokenStore,
  userId: number,
  deletion: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  const owned = store.db.select({ id: applications.id }).from(applications).where(eq(applications.userId, userId))
  const tokens = sql`(${eq(accessTokens.userId, userId)} or ${inArray(accessTokens.applicationId, owned)})`
  await forgetWith(store, userId, tokens, [deletion, ...also])
}

/**
 * Reads the digests of the live access tokens matching `tokens` and of the user's API keys in one
 * batch with `changes`, then forgets them in every cache tier.
 */
async function forgetWith(
  store: TokenStore,
  userId: number,
  tokens: SQL,
  changes: BatchItem<'sqlite'>[],
): Promise<void> {
  const [access, keys] = await store.db.batch([
    store.db
      .select({ tokenHash: accessTokens.tokenHash })
      .from(accessTokens)
      .where(and(tokens, gt(accessTokens.expiresAt, nowSeconds()))),
    userApiKeyDigests(store.db, userId),
    ...changes,
  ])
  await purgeUserCache(store, access, keys)
}

/**
 * Revokes every OAuth token of the user (access tokens deleted, refresh tokens retired) and
 * their API keys, in one D1 transaction with `change` when given (a password change), then
 * purges them from every cache tier: whoever knew the old password and minted a credential
 * loses it. Without `change`: `manage revoketokens --user`.
 */
export async function revokeUserTokens(
  store: TokenStore,
  userId: number,
  change?: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  const revocations = [
    store.db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt))),
    store.db
      .delete(accessTokens)
      .where(eq(accessTokens.userId, userId))
      .returning({ tokenHash: accessTokens.tokenHash }),
    deleteUserApiKeys(store.db, userId),
  ] as const
  if (change) {
    const [, , access, keys] = await store.db.batch([change, ...revocations, ...also])
    await purgeUserCache(store, access, keys)
    return
  }
  const [, access, keys] = await store.db.batch([...revocations, ...also])
  await purgeUserCache(store, access, keys)
}

async function purgeUserCache(
  store: TokenStore,
  access: { tokenHash: string }[],
  keys: { keyHash: string }[],
): Promise<void> {
  await Promise.all([
    forgetAccessTokens(
      store,
      access.map((row) => row.tokenHash),
    ),
    forgetApiKeys(store, keys),
  ])
}
