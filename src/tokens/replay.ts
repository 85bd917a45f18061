/**
 * @module
 * One-time JWTs: a JWT that may be used once (RFC 7523 §3 (7) client assertions; DPoP proofs,
 * RFC 9449 §11.1; ID-JAG assertions) is recorded by its purpose, issuer and `jti` in D1, where
 * every isolate sees it: a copy presented anywhere, even at the same moment, finds it there. The
 * record lasts until the JWT's own `exp` (past which the JWT is refused anyway); the cron cleanup
 * (./cleanup.ts) deletes it after. Only a digest is stored.
 */
import { lte, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { usedJtis } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'

/** What the JWT is for: the same jti in two purposes is two different uses. */
type JtiPurpose = 'client_assertion' | 'dpop_proof'

export type JtiUse = {
  purpose: JtiPurpose
  /** Who made the JWT (a client assertion's client_id, a DPoP key's thumbprint and target URI, …). */
  issuer: string
  jti: string
  /** Unix seconds: the JWT's exp. */
  expiresAt: number
}

/**
 * Records one use of `use.jti`: true the first time, false for a replay (recorded before and
 * not yet expired). Concurrent uses of one jti: exactly one is true (one INSERT wins the unique key).
 */
export async function recordJtiUse(db: Db, use: JtiUse, now = nowSeconds()): Promise<boolean> {
  // NUL cannot occur in a purpose or a client_id, so the three parts cannot run into each other.
  const keyHash = await sha256Hex(`${use.purpose}\u0000${use.issuer}\u0000${use.jti}`)
  const recorded = await db
    .insert(usedJtis)
    .values({ keyHash, expiresAt: use.expiresAt })
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
