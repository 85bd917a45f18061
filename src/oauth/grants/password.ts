/**
 * @module
 * Resource owner password credentials grant (RFC 6749 §4.3).
 */
import { issueTokens } from '../../tokens/store.ts'
import { OAuthError } from '../errors.ts'
import { resolveScopes } from '../scopes.ts'
import { type GrantHandler, requireApplicationGrant, requireParam } from './types.ts'

export const passwordGrant: GrantHandler = async ({ store, config, application, params, checkPassword }) => {
  const username = requireParam(params, 'username')
  const password = requireParam(params, 'password')
  requireApplicationGrant(application, 'password')
  const scopes = resolveScopes(params.scope, config, application)
  const user = await checkPassword(username, password)
  if (!user) throw new OAuthError('invalid_grant', 'Invalid credentials given.')
  return issueTokens(store, {
    userId: user.id,
    username: user.username,
    applicationId: application.id,
    clientId: application.clientId,
    scopes,
    accessLifetime: config.accessTokenLifetime,
    refreshLifetime: config.refreshTokenLifetime,
  })
}
