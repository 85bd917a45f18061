/**
 * @module
 * Refresh token grant (RFC 6749 §6) with rotation: every use returns a new refresh token
 * and retires the old one; replaying a retired one revokes its whole family (RFC 9700 §4.14.2).
 */
import { findUserById } from '../../accounts/users.ts'
import type { Config } from '../../config.ts'
import { parseScope } from '../../lib/scope.ts'
import { nowSeconds } from '../../lib/time.ts'
import {
  findRefreshToken,
  markRefreshTokenUsed,
  type RefreshTokenRow,
  redeemAndIssueTokens,
  refreshTokenFamily,
  retireAccessToken,
  revokeFamily,
  type TokenStore,
} from '../../tokens/store.ts'
import { allowsGrant } from '../applications.ts'
import { OAuthError } from '../errors.ts'
import { idTokenForGrant } from '../oidc/grant-id-token.ts'
import { type GrantHandler, requireParam } from './types.ts'

/** Grants that issue refresh tokens; an application with neither cannot refresh. */
const REFRESHING_GRANTS = ['password', 'authorization-code'] as const

export const refreshTokenGrant: GrantHandler = async (input) => {
  const { store, config, application, params } = input
  const token = requireParam(params, 'refresh_token')
  if (!REFRESHING_GRANTS.some((grant) => allowsGrant(application, grant))) {
    throw new OAuthError('unauthorized_client', 'This client may not use the refresh_token grant.')
  }
  const found = await findRefreshToken(store, token, application.id)
  if (found.status === 'reused') await revokeFamilyUnlessGrace(store, config, found.row)
  if (found.status !== 'live') throw new OAuthError('invalid_grant', 'Invalid refresh token.')
  const { row } = found

  const granted = parseScope(row.scope)
  const requested = params.scope === undefined || params.scope.trim() === '' ? granted : parseScope(params.scope)
  // §6: the requested scope "MUST NOT include any scope not originally granted".
  const wider = requested.filter((scope) => !granted.includes(scope))
  if (wider.length > 0) throw new OAuthError('invalid_scope', `Scope not originally granted: ${wider.join(' ')}`)

  const user = row.userId === null ? undefined : await findUserById(store.db, row.userId)
  if (row.userId !== null && !user?.isActive) throw new OAuthError('invalid_grant', 'Invalid refresh token.')

  const issued = await redeemAndIssueTokens(
    store,
    {
      userId: row.userId,
      username: user?.username ?? null,
      applicationId: application.id,
      clientId: application.clientId,
      scopes: requested,
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: config.refreshTokenLifetime,
      // The new refresh token keeps the grant's original scope (§6) and its family.
      refreshScopes: granted,
      familyId: refreshTokenFamily(row),
      authTime: row.authTime,
    },
    markRefreshTokenUsed(store, row),
  )
  // Null: a concurrent request redeemed this token first, so this one is a replay.
  if (!issued) {
    await revokeFamilyUnlessGrace(store, config, { ...row, revokedAt: nowSeconds() })
    throw new OAuthError('invalid_grant', 'Invalid refresh token.')
  }
  await retireAccessToken(store, row.accessTokenId)
  // OIDC Core §12.2: a grant that began with a login (auth_time kept) gets a fresh id_token with
  // the ORIGINAL auth_time and no nonce; tokens from the password grant have none to refresh.
  if (!user || row.authTime === null) return issued
  const idToken = await idTokenForGrant(input, {
    user,
    scopes: issued.scopes,
    accessToken: issued.accessToken,
    nonce: null,
    authTime: row.authTime,
  })
  return idToken ? { ...issued, idToken } : issued
}

async function revokeFamilyUnlessGrace(store: TokenStore, config: Config, row: RefreshTokenRow): Promise<void> {
  // Within the grace period a parallel retry is refused without treating it as theft.
  if (nowSeconds() - (row.revokedAt ?? 0) >= config.refreshTokenGracePeriod)
    await revokeFamily(store, refreshTokenFamily(row))
}
