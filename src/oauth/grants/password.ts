/**
 * @module
 * Resource owner password credentials grant (RFC 6749 §4.3).
 */

import { readCredentials } from '../../accounts/users.ts'
import { OAuthError } from '../../http/oauth.ts'
import { requestedAudience } from '../../resource/audiences.ts'
import { issueTokensIf } from '../../tokens/issue.ts'
import { resolveScopes } from '../scopes.ts'
import {
  accessTokenIssue,
  type GrantHandler,
  knownResources,
  requireApplicationGrant,
  requireParam,
  StaleFacts,
} from './types.ts'

export const passwordGrant: GrantHandler = async (input) => {
  const { store, config, params, replica } = input
  // The user is read from the replica alongside the client, and the login limits from KV: one round trip for all.
  const seen = replica && params.username ? readCredentials(replica, params.username) : undefined
  if (params.username) input.expectLogin(params.username)
  // Awaited by checkPassword, or dropped when the request fails before it.
  seen?.catch(() => undefined)
  const application = await input.authenticate()
  const username = requireParam(params, 'username')
  const password = requireParam(params, 'password')
  requireApplicationGrant(application, 'password')
  const scopes = resolveScopes(params.scope, config, application)
  const audience = requestedAudience(params.resource, knownResources(input))
  const issue = await accessTokenIssue(input, application, audience)
  const user = await input.checkPassword(username, password, seen)
  if (!user) throw new OAuthError('invalid_grant', 'Invalid credentials given.')
  // Written only while no fence in the shard says the client or the user changed since they were read.
  const issued = await issueTokensIf(
    store,
    {
      userId: user.id,
      username: user.username,
      applicationId: application.id,
      clientId: application.clientId,
      scopes,
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: config.refreshTokenLifetime,
      ...issue,
    },
    { application, user },
  )
  if (!issued) throw new StaleFacts()
  return issued
}
