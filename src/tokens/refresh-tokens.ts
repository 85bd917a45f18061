/**
 * @module
 * Refresh tokens (RFC 6749 §6): found in their shard as a replica sees them (the primary before
 * "unknown"), rotated in one batch of that shard with the tokens they yield (so a grant's every
 * rotation stays in its shard), and revoked with their whole rotation family (RFC 9700 §4.14.2):
 * every refresh token rotated from the same grant and the access tokens issued with them.
 */
import { and, eq, exists, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, refreshTokens } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { type Consumable, consumeOnce, findConsumable } from './consumable.ts'
import { type GrantFacts, stillAsRead } from './fences.ts'
import { type IssueRequest, type Redemption, redeemAndIssueTokens } from './issue.ts'
import type { TokenDb } from './shards.ts'
import { forgetAccessTokens, type TokenStore } from './store.ts'

type RefreshTokenRow = typeof refreshTokens.$inferSelect

// Rotation marks a refresh token used (revoked_at); revocation marks it the same way.
const REFRESH_TOKENS: Consumable<RefreshTokenRow> = {
  kind: 'refresh',
  find: (db, digest) => db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, digest)).get(),
  state: (row) => ({ consumed: row.revokedAt !== null, expiresAt: row.expiresAt }),
  consume: (db, id, facts) =>
    consumeOnce(
      db,
      refreshTokens,
      { id: refreshTokens.id, expiresAt: refreshTokens.expiresAt, unconsumed: isNull(refreshTokens.revokedAt) },
      { revokedAt: nowSeconds() },
      id,
      facts,
    ),
}

/** A refresh token as found, with the token database that holds it. */
export type StoredRefreshToken = { row: RefreshTokenRow; where: TokenDb }

export type FoundRefreshToken =
  | ({ status: 'live' } & StoredRefreshToken)
  /** Already rotated or revoked: a replay (RFC 9700 §4.14.2). */
  | ({ status: 'reused' } & StoredRefreshToken)
  | { status: 'invalid' }

/**
 * A refresh token and whether it can still be redeemed, as its shard's replica sees it (with
 * `replica`; else its primary alone; the caller checks the token is its client's and reads its
 * user). A replica's "reused" is final (a revoked token is never unrevoked) and so is "expired";
 * a token it does not know is asked of the primary, since it may have been issued a moment ago.
 * "live" is re-checked by the redemption itself (`rotateRefreshToken`).
 */
export async function findRefreshToken(store: TokenStore, token: string, replica = false): Promise<FoundRefreshToken> {
  const found = await findConsumable(REFRESH_TOKENS, store.format, token, (shard) => {
    const where = store.shards.get(shard)
    return where && { read: replica ? where.read() : where.db, primary: where.db }
  })
  const where = found.status === 'unknown' ? null : store.shards.get(found.shard)
  if (found.status === 'unknown' || where === null) return { status: 'invalid' }
  if (found.status === 'live') return { status: 'live', row: found.row, where }
  if (found.status === 'consumed') return { status: 'reused', row: found.row, where }
  return { status: 'invalid' }
}

/** The refresh token's row as its primary has it now (after a lost redemption: when was it used?). */
export async function currentRefreshToken({ row, where }: StoredRefreshToken): Promise<StoredRefreshToken> {
  return { row: (await where.db.select().from(refreshTokens).where(eq(refreshTokens.id, row.id)).get()) ?? row, where }
}

/**
 * Rotates a refresh token (RFC 6749 §6): in ONE batch of its shard, marks it used (only while it
 * is unused and no fence refuses `facts`), issues the new access and refresh tokens there, and
 * deletes the access token it was issued with (as DOT), which then leaves every cache tier. The
 * old access token is deleted only once the refresh token is used, so a redemption refused for
 * stale facts leaves it alone.
 */
export async function rotateRefreshToken(
  store: TokenStore,
  request: IssueRequest,
  { row, where }: StoredRefreshToken,
  facts: GrantFacts,
): Promise<Redemption> {
  const { db } = where
  const used = db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.id, row.id), isNotNull(refreshTokens.revokedAt)))
  const redemption = REFRESH_TOKENS.consume(db, row.id, stillAsRead(facts))
  const retire =
    row.accessTokenId === null
      ? null
      : db
          .delete(accessTokens)
          .where(and(eq(accessTokens.id, row.accessTokenId), exists(used)))
          .returning({ tokenHash: accessTokens.tokenHash })
  return redeemAndIssueTokens(store, where, request, redemption, facts, retire)
}

/** The rotation family a refresh token belongs to: a family's first token holds null and names it by its id. */
export function refreshTokenFamily(row: { id: number; familyId: number | null }): number {
  return row.familyId ?? row.id
}

// The refresh tokens of `families` (a list or a subquery of family ids): a family's first token
// (its id names the family) or a later one (family_id). SQLite plans it as a MULTI-INDEX OR.
const inFamilies = (families: SQL) =>
  or(sql`${refreshTokens.familyId} IN ${families}`, sql`${refreshTokens.id} IN ${families}`)

function familiesAccessTokenIds(db: Db, families: SQL) {
  return db.select({ id: refreshTokens.accessTokenId }).from(refreshTokens).where(inFamilies(families))
}

/**
 * The access tokens issued with a family's refresh tokens.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
export function familyAccessTokenIds(db: Db, familyId: number) {
  return familiesAccessTokenIds(db, sql`(${familyId})`)
}

/**
 * Revokes every token of a rotation family in `where`, the shard that holds the grant: all its
 * refresh tokens and the access tokens issued with them. One batch (one transaction) there, then
 * the KV entries are purged.
 */
export async function revokeFamily(store: TokenStore, where: TokenDb, familyId: number): Promise<void> {
  await revokeFamilies(store, where.db, sql`(${familyId})`)
}

/**
 * Revokes the families `families` (a value or a subquery of family ids) names, in one batch of
 * `db` (`first` before the revocation).
 */
async function revokeFamilies(
  store: TokenStore,
  db: Db,
  families: SQL,
  first?: BatchItem<'sqlite'>,
): Promise<unknown[]> {
  const statements: [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]] = [
    db
      .delete(accessTokens)
      .where(inArray(accessTokens.id, familiesAccessTokenIds(db, families)))
      .returning({ tokenHash: accessTokens.tokenHash }),
    db
      .update(refreshTokens)
      .set({ revokedAt: nowSeconds() })
      .where(and(inFamilies(families), isNull(refreshTokens.revokedAt))),
  ]
  const results = await db.batch(first ? [first, ...statements] : statements)
  const deleted = results[first ? 1 : 0] as { tokenHash: string }[]
  await forgetAccessTokens(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return results
}

/**
 * Revokes a refresh token of this application and, with it, its whole grant (RFC 7009 §2.1):
 * one batch of its shard that finds it and revokes its family. `facts`: the client as
 * authenticated from a replica's row, which no fence there may have passed for anything to change.
 */
export async function revokeRefreshToken(
  store: TokenStore,
  token: string,
  applicationId: number,
  facts?: GrantFacts,
): Promise<boolean> {
  const shard = await store.format.shardOf(token, 'refresh')
  const where = shard === null ? null : store.shards.get(shard)
  if (!where) return false
  const { db } = where
  const mine = and(
    eq(refreshTokens.tokenHash, await sha256Hex(token)),
    eq(refreshTokens.applicationId, applicationId),
    facts && stillAsRead(facts),
  )
  const family = db
    .select({ familyId: sql<number>`coalesce(${refreshTokens.familyId}, ${refreshTokens.id})` })
    .from(refreshTokens)
    .where(mine)
  const [found] = await revokeFamilies(
    store,
    db,
    sql`(${family})`,
    db.select({ id: refreshTokens.id }).from(refreshTokens).where(mine),
  )
  return (found as unknown[]).length > 0
}
