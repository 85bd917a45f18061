/**
 * @module
 * Client credentials grant (RFC 6749 §4.4): a confidential client acting for itself.
 */

import { OAuthError } from '../../http/oauth.ts'
import { requestedAudience } from '../../resource/audiences.ts'
import { issueTokensIf } from '../../tokens/issue.ts'
import { resolveScopes } from '../scopes.ts'
import { accessTokenIssue, type GrantHandler, knownResources, requireApplicationGrant, StaleFacts } from './types.ts'

export const clientCredentialsGrant: GrantHandler = async (input) => {
  const { store, config, params } = input
  const application = await input.authenticate()
  // §4.4: "The client credentials grant type MUST only be used by confidential clients."
  if (application.clientType !== 'confidential') {
    throw new OAuthError('unauthorized_client', 'Only confidential clients may use the client_credentials grant.')
  }
  requireApplicationGrant(application, 'client-credentials')
  const scopes = resolveScopes(params.scope, config, application)
  const audience = requestedAudience(params.resource, knownResources(input))
  // §4.4.3: "A refresh token SHOULD NOT be included."
  const issued = await issueTokensIf(
    store,
    {
      userId: null,
      username: null,
      applicationId: application.id,
      clientId: application.clientId,
      scopes,
      accessLifetime: config.accessTokenLifetime,
      refreshLifetime: null,
      ...(await accessTokenIssue(input, application, audience)),
    },
    { application },
  )
  if (!issued) throw new StaleFacts()
  return issued
}
