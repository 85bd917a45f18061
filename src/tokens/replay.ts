/**
 * @module
 * One-time JWTs: a JWT that may be used once (RFC 7523 §3 (7) client assertions; DPoP proofs,
 * RFC 9449 §11.1; ID-JAG assertions) is recorded by its purpose, issuer and `jti` in D1, where
 * every isolate sees it: a copy presented anywhere, even at the same moment, finds it there. The
 * record lasts until the JWT's own `exp` (past which the JWT is refused anyway); the cron cleanup
 * (./cleanup.ts) deletes it after. Only a digest is stored.
 *
 * A use is recorded on its own (`recordJtiUse`), or as part of the write the JWT allows
 * (`jtiStillUnused` + `recordJtiUseIf` in that write's batch): then the JWT is used up exactly when
 * what it was for was written, and a write that did not happen leaves it unused.
 */
import { and, eq, gt, lte, notExists, type SQL, sql } from 'drizzle-orm'
import { QueryBuilder } from 'drizzle-orm/sqlite-core'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { usedJtis } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'

/** What the JWT is for: the same jti in two purposes is two different uses. */
type JtiPurpose = 'client_assertion' | 'id_jag' | 'dpop_proof'

export type JtiUse = {
  purpose: JtiPurpose
  /** Who made the JWT (a client assertion's client_id, an ID-JAG's issuer, a DPoP key's thumbprint and target URI, …). */
  issuer: string
  jti: string
  /** Unix seconds: the JWT's exp. */
  expiresAt: number
}

// NUL cannot occur in a purpose, a client_id or an issuer, so the three parts cannot run into each other.
const keyHashOf = (use: JtiUse) => sha256Hex(`${use.purpose}\u0000${use.issuer}\u0000${use.jti}`)

/**
 * Records one use of `use.jti`: true the first time, false for a replay (recorded before and
 * not yet expired). Concurrent uses of one jti: exactly one is true (one INSERT wins the unique key).
 */
export async function recordJtiUse(db: Db, use: JtiUse, now = nowSeconds()): Promise<boolean> {
  const recorded = await db
    .insert(usedJtis)
    .values({ keyHash: await keyHashOf(use), expiresAt: use.expiresAt })
    // A record that outlived its JWT (not yet cleaned up) no longer counts as a use.
    .onConflictDoUpdate({
      target: usedJtis.keyHash,
      set: { expiresAt: sql`excluded.expires_at` },
      setWhere: lte(usedJtis.expiresAt, now),
    })
    .returning({ id: usedJtis.id })
    .get()
  return recorded !== undefined
}

/** A use as its record is keyed: for `jtiWasUsed`, `jtiStillUnused` and `recordJtiUseIf`. */
export type JtiKey = { keyHash: string; expiresAt: number }

export async function jtiKey(use: JtiUse): Promise<JtiKey> {
  return { keyHash: await keyHashOf(use), expiresAt: use.expiresAt }
}

function liveRecord(key: JtiKey, now: number) {
  return and(eq(usedJtis.keyHash, key.keyHash), gt(usedJtis.expiresAt, now))
}

/** Whether the jti was used and its record still counts (read before a write, to refuse a replay early). */
export async function jtiWasUsed(db: Db, key: JtiKey, now = nowSeconds()): Promise<boolean> {
  return (await db.select({ id: usedJtis.id }).from(usedJtis).where(liveRecord(key, now)).get()) !== undefined
}

/** A condition for a write's batch: the jti has not been used (no record that still counts). */
export function jtiStillUnused(key: JtiKey, now = nowSeconds()): SQL {
  return notExists(new QueryBuilder().select({ id: usedJtis.id }).from(usedJtis).where(liveRecord(key, now)))
}

/**
 * A statement for a write's batch recording the jti's use if `condition` holds when it runs (the
 * row the JWT allowed was written). With `jtiStillUnused` in that write's own condition, of
 * concurrent writes for one jti exactly one happens: a batch is one transaction.
 */
export function recordJtiUseIf(db: Db, key: JtiKey, condition: SQL, now = nowSeconds()) {
  return db
    .insert(usedJtis)
    .select((qb) =>
      qb
        .select({
          id: sql`NULL`.as('id'),
          keyHash: sql`${sql.param(key.keyHash, usedJtis.keyHash)}`.as('key_hash'),
          expiresAt: sql`${key.expiresAt}`.as('expires_at'),
        })
        .from(sql`(SELECT 1)`)
        .where(condition),
    )
    .onConflictDoUpdate({
      target: usedJtis.keyHash,
      set: { expiresAt: sql`excluded.expires_at` },
      setWhere: lte(usedJtis.expiresAt, now),
    })
}
