/**
 * @module
 * A user's authorized tokens (DOT's AuthorizedTokensListView / AuthorizedTokenDeleteView):
 * the live access tokens they granted, and revoking one of them.
 */
import { and, asc, eq, gt } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { accessTokens, applications } from '../db/schema.ts'
import { nowSeconds } from '../lib/time.ts'
import { deleteAccessTokens, type TokenStore } from '../tokens/store.ts'

export type AuthorizedToken = {
  id: number
  applicationName: string
  clientId: string
  scope: string
  expiresAt: number
}

/** Never the token itself: only what identifies the grant to its owner. */
export async function listAuthorizedTokens(db: Db, userId: number): Promise<AuthorizedToken[]> {
  return db
    .select({
      id: accessTokens.id,
      applicationName: applications.name,
      clientId: applications.clientId,
      scope: accessTokens.scope,
      expiresAt: accessTokens.expiresAt,
    })
    .from(accessTokens)
    .innerJoin(applications, eq(applications.id, accessTokens.applicationId))
    .where(and(eq(accessTokens.userId, userId), gt(accessTokens.expiresAt, nowSeconds())))
    .orderBy(asc(accessTokens.id))
}

/** Revokes one of the user's access tokens (and the refresh token issued with it); false when not theirs. */
export async function revokeAuthorizedToken(store: TokenStore, userId: number, id: number): Promise<boolean> {
  if (!Number.isSafeInteger(id)) return false
  return (await deleteAccessTokens(store, and(eq(accessTokens.id, id), eq(accessTokens.userId, userId)))) > 0
}
