/**
 * @module
 * Refresh tokens (RFC 6749 §6): found as a replica sees them (the primary before "unknown"),
 * rotated in one batch with the tokens they yield, and revoked with their whole rotation family
 * (RFC 9700 §4.14.2): every refresh token rotated from the same grant and the access tokens
 * issued with them.
 */
import { and, eq, exists, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, refreshTokens, type User, users } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { type Consumable, consumeOnce, findConsumable } from './consumable.ts'
import { type IssueRequest, type Redemption, redeemAndIssueTokens } from './issue.ts'
import { forgetAccessTokens, type TokenStore } from './store.ts'

export type RefreshTokenRow = typeof refreshTokens.$inferSelect

/** A refresh token as found: its row and its user (null for a token acting for no user). */
type StoredRefreshToken = { row: RefreshTokenRow; user: User | null }

// Rotation marks a refresh token used (revoked_at); revocation marks it the same way.
const REFRESH_TOKENS: Consumable<StoredRefreshToken> = {
  kind: 'refresh',
  find: (db, digest) =>
    db
      .select({ row: refreshTokens, user: users })
      .from(refreshTokens)
      .leftJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, digest))
      .get(),
  state: ({ row }) => ({ consumed: row.revokedAt !== null, expiresAt: row.expiresAt }),
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

export type FoundRefreshToken =
  | { status: 'live'; row: RefreshTokenRow; user: User | null }
  /** Already rotated or revoked: a replay (RFC 9700 §4.14.2). */
  | { status: 'reused'; row: RefreshTokenRow }
  | { status: 'invalid' }

/**
 * A refresh token, its user, and whether it can still be redeemed, as `db` sees it (a replica
 * when the caller passes one; the caller checks the token is its client's). A replica's
 * "reused" is final (a revoked token is never unrevoked) and so is "expired"; a token it does
 * not know is asked of the primary, since it may have been issued a moment ago. "live" is
 * re-checked by the redemption itself (`rotateRefreshToken`).
 */
export async function findRefreshToken(
  store: TokenStore,
  token: string,
  db: Db = store.db,
): Promise<FoundRefreshToken> {
  const found = await findConsumable(REFRESH_TOKENS, store.format, token, db, store.db)
  if (found.status === 'live') return { status: 'live', ...found.row }
  if (found.status === 'consumed') return { status: 'reused', row: found.row.row }
  return { status: 'invalid' }
}

/** The refresh token's row as the primary has it now (after a lost redemption: when was it used?). */
export async function currentRefreshToken(store: TokenStore, row: RefreshTokenRow): Promise<RefreshTokenRow> {
  return (await store.db.select().from(refreshTokens).where(eq(refreshTokens.id, row.id)).get()) ?? row
}

/**
 * Rotates a refresh token (RFC 6749 §6): in ONE batch, marks it used (only while it is unused
 * and `facts` holds), issues the new access and refresh tokens, and deletes the access token it
 * was issued with (as DOT), which then leaves every cache tier. The old access token is deleted
 * only once the refresh token is used, so a redemption refused for stale facts leaves it alone.
 */
export async function rotateRefreshToken(
  store: TokenStore,
  request: IssueRequest,
  row: RefreshTokenRow,
  facts: SQL | undefined,
): Promise<Redemption> {
  const used = store.db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.id, row.id), isNotNull(refreshTokens.revokedAt)))
  const redemption = REFRESH_TOKENS.consume(store.db, row.id, facts)
  const retire =
    row.accessTokenId === null
      ? null
      : store.db
          .delete(accessTokens)
          .where(and(eq(accessTokens.id, row.accessTokenId), exists(used)))
          .returning({ tokenHash: accessTokens.tokenHash })
  return redeemAndIssueTokens(store, request, redemption, facts, retire)
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
 * Revokes every token of a rotation family: all its refresh tokens and the access tokens
 * issued with them. One batch (one transaction) in D1, then the KV entries are purged.
 */
export async function revokeFamily(
  store: TokenStore,
  familyId: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  await revokeFamilies(store, sql`(${familyId})`, undefined, also)
}

/**
 * Revokes the families `families` (a value or a subquery of family ids) names, in one batch
 * (`first` before the revocation, `also` after it: e.g. the audit row of the change).
 */
async function revokeFamilies(
  store: TokenStore,
  families: SQL,
  first?: BatchItem<'sqlite'>,
  also: BatchItem<'sqlite'>[] = [],
): Promise<unknown[]> {
  const { db } = store
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
  const results = await db.batch(first ? [first, ...statements, ...also] : [...statements, ...also])
  const deleted = results[first ? 1 : 0] as { tokenHash: string }[]
  await forgetAccessTokens(
    store,
    deleted.map((row) => row.tokenHash),
  )
  return results
}

/**
 * Revokes a refresh token of this application and, with it, its whole grant (RFC 7009 §2.1):
 * one batch that finds it and revokes its family. `facts`: conditions that must hold on the
 * primary for anything to change (the client as authenticated from a replica's row).
 */
export async function revokeRefreshToken(
  store: TokenStore,
  token: string,
  applicationId: number,
  facts?: SQL,
): Promise<boolean> {
  if (!(await store.format.isWellFormed(token, 'refresh'))) return false
  const mine = and(
    eq(refreshTokens.tokenHash, await sha256Hex(token)),
    eq(refreshTokens.applicationId, applicationId),
    facts,
  )
  const family = store.db
    .select({ familyId: sql<number>`coalesce(${refreshTokens.familyId}, ${refreshTokens.id})` })
    .from(refreshTokens)
    .where(mine)
  const [found] = await revokeFamilies(
    store,
    sql`(${family})`,
    store.db.select({ id: refreshTokens.id }).from(refreshTokens).where(mine),
  )
  return (found as unknown[]).length > 0
}
