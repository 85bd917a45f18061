/**
 * @module
 * Authorization codes (RFC 6749 §4.1.2): minted at /o/authorize/ in the shard of a new grant
 * (the one nearest the browser; the code carries its number, and the tokens it yields go to the
 * same shard), stored as a digest in `authorization_codes`, bound to the client, redirect_uri and
 * PKCE challenge, redeemed at most once (a one-time credential of ./consumable.ts).
 */
import { eq, isNull } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import { authorizationCodes } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { type Consumable, consumeOnce, findConsumable } from './consumable.ts'
import { type GrantFacts, stillAsRead } from './fences.ts'
import type { TokenDb } from './shards.ts'
import type { TokenStore } from './store.ts'

export type NewAuthorizationCode = {
  applicationId: number
  userId: number
  redirectUri: string
  scopes: string[]
  codeChallenge: string
  codeChallengeMethod: string
  /** OpenID Connect nonce, carried to the id_token; empty when none was sent. */
  nonce: string
  /** When the user logged in (Unix seconds), for OIDC's auth_time. */
  authTime: number
  lifetime: number
  /** RFC 8707 audience the request named, as stored (src/resource/audiences.ts); null or absent: the default. */
  audience?: string | null
}

/** Stores a new code in the shard of a new grant and returns it; only its digest is kept. */
export async function createAuthorizationCode(store: TokenStore, input: NewAuthorizationCode): Promise<string> {
  const where = store.shards.forNewGrant()
  const code = await store.format.mint('code', where.shard)
  await where.db.insert(authorizationCodes).values({
    codeHash: await sha256Hex(code),
    applicationId: input.applicationId,
    userId: input.userId,
    redirectUri: input.redirectUri,
    scope: input.scopes.join(' '),
    codeChallenge: input.codeChallenge,
    codeChallengeMethod: input.codeChallengeMethod,
    nonce: input.nonce,
    authTime: input.authTime,
    expiresAt: nowSeconds() + input.lifetime,
    audience: input.audience ?? null,
  })
  return code
}

export type StoredCode = typeof authorizationCodes.$inferSelect

export type FoundCode =
  | { status: 'live'; grant: StoredCode; where: TokenDb }
  /** Redeemed before: RFC 6749 §4.1.2 asks to revoke what it issued. */
  | { status: 'reused'; grant: StoredCode; where: TokenDb }
  | { status: 'invalid' }

/** The rotation family of every token issued from one code, so they can be revoked together. */
// Negative, so never a refresh token's id (the other families' ids, src/db/schema.ts `familyId`).
export function codeFamily(grantId: number): number {
  return -grantId
}

const AUTHORIZATION_CODES: Consumable<StoredCode> = {
  kind: 'code',
  find: (db, digest) => db.select().from(authorizationCodes).where(eq(authorizationCodes.codeHash, digest)).get(),
  state: (grant) => ({ consumed: grant.redeemedAt !== null, expiresAt: grant.expiresAt }),
  consume: (db, id, facts) =>
    consumeOnce(
      db,
      authorizationCodes,
      {
        id: authorizationCodes.id,
        expiresAt: authorizationCodes.expiresAt,
        unconsumed: isNull(authorizationCodes.redeemedAt),
      },
      { redeemedAt: nowSeconds() },
      id,
      facts,
    ),
}

/**
 * A code and whether it can still be redeemed, as its shard sees it (the caller reads its user).
 * Reading changes nothing. With `replica`, a replica is read first: a code it does not know
 * (minted a moment ago) is asked of the primary; its "redeemed" is final; "live" is re-checked by
 * the redemption.
 */
export async function findAuthorizationCode(store: TokenStore, code: string, replica = false): Promise<FoundCode> {
  const found = await findConsumable(AUTHORIZATION_CODES, store.format, code, (shard) => {
    const where = store.shards.get(shard)
    return where && { read: replica ? where.read() : where.db, primary: where.db }
  })
  const where = found.status === 'unknown' ? null : store.shards.get(found.shard)
  if (found.status === 'unknown' || where === null) return { status: 'invalid' }
  if (found.status === 'live') return { status: 'live', grant: found.row, where }
  if (found.status === 'consumed') return { status: 'reused', grant: found.row, where }
  return { status: 'invalid' }
}

/**
 * The redemption of a code for redeemAndIssueTokens (./issue.ts), or alone to spend it: ONE
 * conditional UPDATE in its shard that matches only while the code is unused and unexpired (and
 * no fence refuses `facts`), so concurrent redemptions yield exactly one success.
 */
export function markCodeRedeemed(
  found: { grant: StoredCode; where: TokenDb },
  facts?: GrantFacts,
): BatchItem<'sqlite'> {
  return AUTHORIZATION_CODES.consume(found.where.db, found.grant.id, facts && stillAsRead(facts))
}
