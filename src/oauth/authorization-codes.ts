/**
 * @module
 * Authorization codes (RFC 6749 §4.1.2): minted at /o/authorize/, stored as a digest in
 * `authorization_codes`, bound to the client, redirect_uri and PKCE challenge, redeemed at most once.
 */
import { and, eq, isNull } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import type { TokenFormat } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { authorizationCodes, users } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'

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
  })
  return code
}

export type StoredCode = typeof authorizationCodes.$inferSelect & { username: string; isActive: boolean }

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

/** A code, its user, and whether it can still be redeemed. Reading changes nothing. */
export async function findAuthorizationCode(db: Db, format: TokenFormat, code: string): Promise<FoundCode> {
  if (!(await format.isWellFormed(code, 'code'))) return { status: 'invalid' }
  const row = await db
    .select({ grant: authorizationCodes, username: users.username, isActive: users.isActive })
    .from(authorizationCodes)
    .innerJoin(users, eq(users.id, authorizationCodes.userId))
    .where(eq(authorizationCodes.codeHash, await sha256Hex(code)))
    .get()
  if (!row) return { status: 'invalid' }
  const grant: StoredCode = { ...row.grant, username: row.username, isActive: row.isActive }
  if (grant.redeemedAt !== null) return { status: 'reused', grant }
  return grant.expiresAt > nowSeconds() ? { status: 'live', grant } : { status: 'invalid' }
}

/**
 * The redemption of a code for redeemAndIssueTokens: ONE conditional UPDATE that matches
 * only while the code is unused, so concurrent redemptions yield exactly one success.
 */
export function markCodeRedeemed(db: Db, grant: StoredCode): BatchItem<'sqlite'> {
  return db
    .update(authorizationCodes)
    .set({ redeemedAt: nowSeconds() })
    .where(and(eq(authorizationCodes.id, grant.id), isNull(authorizationCodes.redeemedAt)))
    .returning({ id: authorizationCodes.id })
}
