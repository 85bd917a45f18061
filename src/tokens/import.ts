/**
 * @module
 * Access and refresh tokens brought over from django-oauth-toolkit (`manage import-django`,
 * src/import/django.ts): rows written as this store writes its own, keyed by the token's digest so
 * that writing them again changes nothing. DOT's tokens have no check value; the token format lets
 * them reach the lookup only while IMPORTED_TOKENS_UNTIL lies ahead (src/crypto/token-format.ts).
 */
import { eq, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { chunks, rowsPerStatement } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { accessTokens, refreshTokens } from '../db/schema.ts'

/**
 * The stored digest of an imported token: of its plaintext, or DOT's `token_checksum` when only that
 * was kept (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE) — the same SHA-256, in the same lowercase hex.
 */
export async function importedTokenDigest(token: { plaintext: string } | { checksum: string }): Promise<string> {
  return 'plaintext' in token ? sha256Hex(token.plaintext) : token.checksum
}

export type ImportedAccessToken = {
  digest: string
  userId: number | null
  applicationId: number
  scope: string
  expiresAt: number
  createdAt: Date
}

export type ImportedRefreshToken = {
  digest: string
  /** The digest of the access token issued with it, when that one is imported too. */
  accessTokenDigest: string | null
  userId: number | null
  applicationId: number
  scope: string
  /**
   * The digest of the first imported token of its rotation family (DOT's token_family), or null when
   * this token starts its family: a family is named by its first token's id (schema.ts `familyId`).
   */
  familyHeadDigest: string | null
  expiresAt: number
  revokedAt: number | null
  createdAt: Date
}

const ACCESS_COLUMNS = 7
const REFRESH_COLUMNS = 10

/** INSERT statements for the rows (a digest already stored is left as it is), each within D1's bound parameters. */
export function importAccessTokenStatements(db: Db, rows: ImportedAccessToken[]) {
  return chunks(rows, rowsPerStatement(ACCESS_COLUMNS)).map((chunk) =>
    db
      .insert(accessTokens)
      .values(
        chunk.map((row) => ({
          tokenHash: row.digest,
          userId: row.userId,
          applicationId: row.applicationId,
          scope: row.scope,
          expiresAt: row.expiresAt,
          createdAt: row.createdAt,
          imported: true,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: accessTokens.id }),
  )
}

/**
 * As importAccessTokenStatements; run after them, since each row finds its access token by digest.
 * A family's first tokens go first, so the later ones find the family by their first token's digest.
 */
export function importRefreshTokenStatements(db: Db, rows: ImportedRefreshToken[]) {
  const heads = rows.filter((row) => row.familyHeadDigest === null)
  const members = rows.filter((row) => row.familyHeadDigest !== null)
  return [...refreshTokenStatements(db, heads), ...refreshTokenStatements(db, members)]
}

function refreshTokenStatements(db: Db, rows: ImportedRefreshToken[]) {
  return chunks(rows, rowsPerStatement(REFRESH_COLUMNS)).map((chunk) =>
    db
      .insert(refreshTokens)
      .values(
        chunk.map((row) => ({
          tokenHash: row.digest,
          accessTokenId:
            row.accessTokenDigest === null
              ? null
              : sql`(${db.select({ id: accessTokens.id }).from(accessTokens).where(eq(accessTokens.tokenHash, row.accessTokenDigest))})`,
          userId: row.userId,
          applicationId: row.applicationId,
          scope: row.scope,
          familyId:
            row.familyHeadDigest === null
              ? null
              : sql`(${db
                  .select({ family: sql`coalesce(${refreshTokens.familyId}, ${refreshTokens.id})` })
                  .from(refreshTokens)
                  .where(eq(refreshTokens.tokenHash, row.familyHeadDigest))})`,
          expiresAt: row.expiresAt,
          revokedAt: row.revokedAt,
          createdAt: row.createdAt,
          imported: true,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: refreshTokens.id }),
  )
}
