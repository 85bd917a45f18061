/**
 * @module
 * DPoP proofs are single-use (RFC 9449 §11.1): a proof's `jti` is remembered, for its key and
 * target URI, as long as the proof could be accepted, and a copy is refused. Two tiers:
 * - this isolate's memory, first: a copy sent to the same isolate, even at the same moment, is
 *   refused with no I/O (bounded; the oldest entries go first, and they expire soonest);
 * - the replay store of one-time JWTs (./replay.ts, D1), where every isolate sees the record.
 * The token endpoint uses both. At the resources DPOP_REPLAY_CHECK decides (src/config.ts):
 * `isolate`, the default, keeps their hot path free of I/O — a copy that reaches another isolate
 * within the proof's minute is not caught (RFC 9449 §11.1 allows it where servers share no state;
 * DPOP_REQUIRE_NONCE bounds such a copy further) — and `shared` adds the D1 record, one write a
 * request, so a copy is refused everywhere.
 */
import type { Db } from '../db/client.ts'
import { recordJtiUse } from './replay.ts'

export type ProofReplayCheck = 'shared' | 'isolate'

export type ProofUse = {
  /** The key's thumbprint and the URI the proof is for (§11.1: "in the context of the target URI"). */
  jkt: string
  htu: string
  jti: string
  /** Unix seconds from which the proof is refused anyway. */
  refusedFrom: number
}

// Proofs a busy isolate sees in one proof window, with room to spare; past it the oldest go first.
const MAX_REMEMBERED = 50_000

/** `jkt htu jti` → Unix seconds from which it is forgotten, in insertion (≈ expiry) order. */
const seen = new Map<string, number>()

function rememberHere(key: string, until: number, now: number): boolean {
  const known = seen.get(key)
  if (known !== undefined && known > now) return false
  for (const [oldest, expires] of seen) {
    if (expires > now && seen.size < MAX_REMEMBERED) break
    seen.delete(oldest)
  }
  seen.set(key, until)
  return true
}

/**
 * True the first time a proof is used; false for a copy (here, or with `shared` anywhere). The
 * isolate's record is made before the shared one is awaited, so a concurrent copy here is refused
 * at once.
 */
export async function firstUseOfProof(db: Db, use: ProofUse, check: ProofReplayCheck, now: number): Promise<boolean> {
  const issuer = `${use.jkt} ${use.htu}`
  if (!rememberHere(`${issuer} ${use.jti}`, use.refusedFrom, now)) return false
  if (check === 'isolate') return true
  return recordJtiUse(db, { purpose: 'dpop_proof', issuer, jti: use.jti, expiresAt: use.refusedFrom }, now)
}
