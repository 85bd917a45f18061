/**
 * @module
 * One-time credentials — authorization codes, device codes, refresh tokens — are found and
 * consumed one way (the idea of oidc-provider's `consumable` mixin):
 * - found: a value of the wrong shape costs no I/O; its digest is read where the caller says (a
 *   replica, for a grant that re-checks on the primary what it relies on), and asked of the
 *   primary before it is called unknown, since a credential minted a moment ago may not have
 *   reached the replica. A replica's "consumed" and "expired" are final: both only ever move one way.
 * - consumed: one conditional UPDATE … RETURNING that matches only while the credential is still
 *   unconsumed and unexpired and the caller's facts hold, run in the batch that writes what it
 *   yields (./issue.ts `redeemAndIssueTokens`): of any number of concurrent redemptions exactly one
 *   matches, and a statement that matched nothing tells the loser so.
 */
import { and, eq, gt, type SQL } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { SQLiteColumn, SQLiteTable, SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core'
import { sha256Hex } from '../crypto/digest.ts'
import type { TokenFormat } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { nowSeconds } from '../lib/time.ts'

/** A kind of one-time credential and the table that keeps it. */
export type Consumable<Row> = {
  /** The token format's kind: a value of another shape is refused before any I/O. */
  kind: Parameters<TokenFormat['shardOf']>[1]
  /** The row stored under a digest, with what the callers need beside it (its user). */
  find: (db: Db, digest: string) => Promise<Row | undefined>
  /** Whether the row was consumed already, and until when it could be. */
  state: (row: Row) => { consumed: boolean; expiresAt: number }
  /** The statement that consumes the row `id` (built with `consumeOnce`), for a batch or alone. */
  consume: (db: Db, id: number, facts?: SQL) => BatchItem<'sqlite'>
}

/** `shard`: the token database (./shards.ts) that holds the credential, as its value says. */
export type Found<Row> =
  | { status: 'live'; row: Row; shard: number }
  | { status: 'consumed'; row: Row; shard: number }
  | { status: 'expired'; row: Row; shard: number }
  /** Unknown to the primary, or not even of the right shape. */
  | { status: 'unknown' }

/** Where the credential of shard `shard` is read: `read` first, then `primary`; null: no such database. */
export type ConsumableDatabases = (shard: number) => { read: Db; primary: Db } | null

/**
 * The credential `value` names and its state, read in the database of its shard from `read` first
 * and then, when `read` does not know it, from `primary` (the primary as both reads it alone).
 * Reading changes nothing.
 */
export async function findConsumable<Row>(
  consumable: Consumable<Row>,
  format: TokenFormat,
  value: string,
  databases: ConsumableDatabases,
): Promise<Found<Row>> {
  const shard = await format.shardOf(value, consumable.kind)
  const where = shard === null ? null : databases(shard)
  if (shard === null || where === null) return { status: 'unknown' }
  const { read, primary } = where
  const digest = await sha256Hex(value)
  const row =
    (await consumable.find(read, digest)) ?? (read === primary ? undefined : await consumable.find(primary, digest))
  if (row === undefined) return { status: 'unknown' }
  const { consumed, expiresAt } = consumable.state(row)
  if (consumed) return { status: 'consumed', row, shard }
  return expiresAt > nowSeconds() ? { status: 'live', row, shard } : { status: 'expired', row, shard }
}

/** Where a consumable table keeps a row's id, its expiry, and whether it can still be consumed. */
type ConsumableColumns = { id: SQLiteColumn; expiresAt: SQLiteColumn; unconsumed: SQL }

/**
 * The UPDATE … RETURNING that consumes the row `id` of `table`, writing `mark`: it matches only
 * while the row is unconsumed and unexpired and `facts` hold, all checked by the primary as it writes.
 */
export function consumeOnce<T extends SQLiteTable>(
  db: Db,
  table: T,
  columns: ConsumableColumns,
  mark: SQLiteUpdateSetSource<T>,
  id: number,
  facts?: SQL,
): BatchItem<'sqlite'> {
  return db
    .update(table)
    .set(mark)
    .where(and(eq(columns.id, id), columns.unconsumed, gt(columns.expiresAt, nowSeconds()), facts))
    .returning({ id: columns.id })
}
