/**
 * @module
 * Authorization codes (RFC 6749 §4.1.2): minted at /o/authorize/, stored as a digest in
 * `authorization_codes`, bound to the client, redirect_uri and PKCE challenge, redeemed at most
 * once (a one-time credential of ./consumable.ts).
 */
import { eq, isNull, type SQL } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import type { TokenFormat } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { authorizationCodes, type User, users } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { type Consumable, consumeOnce, findConsumable } from './consumable.ts'

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

/** Stores a new code and returns it; only its digest is kept. */
export async function createAuthorizationCode(
  db: Db,
  format: TokenFormat,
  input: NewAuthorizationCode,
): Promise<string> {
  const code = await format.mint('code')
  await db.insert(authorizationCodes).values({
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

export type StoredCode = typeof authorizationCodes.$inferSelect & { username: string; isActive: boolean; user: User }

export type FoundCode =
  | { status: 'live'; grant: StoredCode }
  /** Redeemed before: RFC 6749 §4.1.2 asks to revoke what it issued. */
  | { status: 'reused'; grant: StoredCode }
  | { status: 'invalid' }

/** The rotation family of every token issued from one code, so they can be revoked together. */
// Negative, so never a refresh token's id (the other families' ids, src/db/schema.ts `familyId`).
export function codeFamily(grantId: number): number {
  return -grantId
}

const AUTHORIZATION_CODES: Consumable<StoredCode> = {
  kind: 'code',
  find: async (db, digest) => {
    const row = await db
      .select({ grant: authorizationCodes, user: users })
      .from(authorizationCodes)
      .innerJoin(users, eq(users.id, authorizationCodes.userId))
      .where(eq(authorizationCodes.codeHash, digest))
      .get()
    return row && { ...row.grant, username: row.user.username, isActive: row.user.isActive, user: row.user }
  },
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
 * A code, its user, and whether it can still be redeemed, as `db` sees it. Reading changes
 * nothing. With `primary`, `db` is a replica: a code it does not know (minted a moment ago) is
 * asked of the primary; its "redeemed" is final; "live" is re-checked by the redemption.
 */
export async function findAuthorizationCode(
  db: Db,
  format: TokenFormat,
  code: string,
  primary: Db = db,
): Promise<FoundCode> {
  const found = await findConsumable(AUTHORIZATION_CODES, format, code, db, primary)
  if (found.status === 'live') return { status: 'live', grant: found.row }
  if (found.status === 'consumed') return { status: 'reused', grant: found.row }
  return { status: 'invalid' }
}

/**
 * The redemption of a code for redeemAndIssueTokens (./issue.ts), or alone to spend it: ONE
 * conditional UPDATE that matches only while the code is unused and unexpired (and `facts`
 * holds), so concurrent redemptions yield exactly one success.
 */
export function markCodeRedeemed(db: Db, grant: StoredCode, facts?: SQL): BatchItem<'sqlite'> {
  return AUTHORIZATION_CODES.consume(db, grant.id, facts)
}
