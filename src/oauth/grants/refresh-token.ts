/**
 * @module
 * Refresh token grant (RFC 6749 §6) with rotation: every use returns a new refresh token
 * and retires the old one, for every client (OAuth 2.1 §4.3.1 asks it of public clients); replaying a
 * retired one revokes its whole family (RFC 9700 §4.14.2).
 */
import { findUserById } from '../../accounts/users.ts'
import type { Config } from '../../config.ts'
import { type Application, DEVICE_CODE_GRANT, type User } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { parseScope } from '../../lib/scope.ts'
import { nowSeconds } from '../../lib/time.ts'
import { audienceOf, narrowedAudience } from '../../resource/audiences.ts'
import {
  currentRefreshToken,
  type FoundRefreshToken,
  findRefreshToken,
  refreshTokenFamily,
  revokeFamily,
  rotateRefreshToken,
  type StoredRefreshToken,
} from '../../tokens/refresh-tokens.ts'
import type { TokenStore } from '../../tokens/store.ts'
import { allowsGrant } from '../applications.ts'
import { idTokenForGrant } from '../oidc/grant-id-token.ts'
import { accessTokenIssue, factsDb, type GrantHandler, knownResources, requireParam, StaleFacts } from './types.ts'

/** Grants that issue refresh tokens; an application with neither cannot refresh. */
const REFRESHING_GRANTS = ['password', 'authorization-code', DEVICE_CODE_GRANT] as const

const invalidGrant = () => new OAuthError('invalid_grant', 'Invalid refresh token.')

/** The refresh token, from its shard, and then its user, from the main database (replicas when the grant has them). */
async function findTokenAndUser(
  input: Parameters<GrantHandler>[0],
  token: string,
): Promise<{ found: FoundRefreshToken; user: User | null }> {
  const found = await findRefreshToken(input.store, token, input.replica !== null)
  if (found.status !== 'live' || found.row.userId === null) return { found, user: null }
  return { found, user: (await findUserById(factsDb(input), found.row.userId)) ?? null }
}

export const refreshTokenGrant: GrantHandler = async (input) => {
  const { store, config, params } = input
  // The token and its user are read from replicas while the client is authenticated.
  const finding = params.refresh_token ? findTokenAndUser(input, params.refresh_token) : undefined
  // Awaited below, or dropped when the client is refused.
  finding?.catch(() => undefined)
  const application = await input.authenticate()
  requireParam(params, 'refresh_token')
  if (!REFRESHING_GRANTS.some((grant) => allowsGrant(application, grant))) {
    throw new OAuthError('unauthorized_client', 'This client may not use the refresh_token grant.')
  }
  const { found, user } = (await finding) ?? { found: { status: 'invalid' as const }, user: null }
  // Another client's token does not exist for this one.
  if (found.status !== 'invalid' && found.row.applicationId !== application.id) throw invalidGrant()
  if (found.status === 'reused') await revokeFamilyUnlessGrace(store, config, application, found)
  if (found.status !== 'live') throw invalidGrant()
  const { row } = found
  // RFC 9449 §5: a refresh token bound to a DPoP key is refreshed only with a proof of that key.
  if (row.jkt !== null) {
    if (input.dpopJkt === null) {
      throw new OAuthError('invalid_dpop_proof', 'This refresh token is bound to a DPoP key: send a DPoP proof of it.')
    }
    if (input.dpopJkt !== row.jkt)
      throw new OAuthError('invalid_grant', 'The refresh token is bound to another DPoP key.')
  }

  const granted = parseScope(row.scope)
  const requested = params.scope === undefined || params.scope.trim() === '' ? granted : parseScope(params.scope)
  // §6: the requested scope "MUST NOT include any scope not originally granted".
  const wider = requested.filter((scope) => !granted.includes(scope))
  if (wider.length > 0) throw new OAuthError('invalid_scope', `Scope not originally granted: ${wider.join(' ')}`)
  // RFC 8707 §2.2: likewise for resources; the new refresh token keeps the grant's whole audience.
  const known = knownResources(input)
  const audience = narrowedAudience(params.resource, audienceOf(row.audience, known), known)

  if (row.userId !== null && !user?.isActive) {
    // A replica may not have seen the user reactivated yet: the primary decides a refusal.
    if (input.replica) throw new StaleFacts()
    throw invalidGrant()
  }

  const outcome = await rotateRefreshToken(
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
      ...(await accessTokenIssue(input, application, audience)),
      refreshAudience: row.audience,
    },
    found,
    // Rotated only while no fence in the shard says the client or the user changed since they were read.
    { application, user },
  )
  if (outcome.status === 'stale') throw new StaleFacts()
  if (outcome.status === 'lost') {
    // Used already: a concurrent request won, or (the replica lagging) a replay. The primary
    // says when it was used, which tells a parallel retry within the grace period from theft.
    await revokeFamilyUnlessGrace(store, config, application, await currentRefreshToken(found))
    throw invalidGrant()
  }
  const issued = outcome.tokens
  // OIDC Core §12.2: a grant that began with a login (auth_time kept) gets a fresh id_token with
  // the ORIGINAL auth_time and no nonce; tokens from the password grant have none to refresh.
  if (!user || row.authTime === null) return issued
  const idToken = await idTokenForGrant(
    { ...input, application },
    { user, scopes: issued.scopes, accessToken: issued.accessToken, nonce: null, authTime: row.authTime },
  )
  return idToken ? { ...issued, idToken } : issued
}

/**
 * A rotated token used again: its family is revoked. Within the grace period a confidential
 * client's parallel retry is refused without treating it as theft; a public client gets no grace
 * (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2: its refresh tokens are not sender-constrained, so rotation
 * with reuse detection is their only protection, whatever REFRESH_TOKEN_GRACE_PERIOD_SECONDS says).
 */
async function revokeFamilyUnlessGrace(
  store: TokenStore,
  config: Config,
  application: Application,
  { row, where }: StoredRefreshToken,
): Promise<void> {
  if (row.revokedAt === null) return
  const grace = application.clientType === 'public' ? 0 : config.refreshTokenGracePeriod
  if (nowSeconds() - row.revokedAt >= grace) await revokeFamily(store, where, refreshTokenFamily(row))
}
