/**
 * @module
 * The authorization server's JSON routes under /o/ and its RFC 8414 metadata (OAuth dialect).
 * The pages of the flows (consent at /o/authorize/, device verification at /o/device/) are the
 * browser's, in src/web/.
 */
import { createOAuthRouter, oauth } from '../http/oauth.ts'
import { answerOtherMethods } from '../http/router.ts'
import { startDeviceAuthorization } from './device-authorization.handlers.ts'
import { deviceAuthorizationRoute } from './device-authorization.routes.ts'
import { ENDPOINTS, ISSUER_PATH_FORMS, metadata, metadataRoute, pathMetadata } from './metadata.ts'
import { pushAuthorizationRequest } from './par.handlers.ts'
import { pushedAuthorizationRoute } from './par.routes.ts'
import {
  apiMetadata,
  apiMetadataRoute,
  mcpMetadata,
  mcpMetadataRoute,
  originMetadata,
  originMetadataRoute,
} from './protected-resource.ts'
import { deleteClient, readClient, register, updateClient } from './registration.handlers.ts'
import { deleteClientRoute, readClientRoute, registerRoute, updateClientRoute } from './registration.routes.ts'
import { introspect, revokeToken, revokeTokenAlias } from './revocation.handlers.ts'
import { introspectRoute, revokeAliasRoute, revokeRoute } from './revocation.routes.ts'
import { issueToken } from './token.handlers.ts'
import { tokenRoute } from './token.routes.ts'

export const oauthRouter = createOAuthRouter([
  ENDPOINTS.token,
  ENDPOINTS.revocation,
  revokeAliasRoute.path,
  ENDPOINTS.introspection,
  ENDPOINTS.deviceAuthorization,
  ENDPOINTS.pushedAuthorization,
  metadataRoute.path,
  ISSUER_PATH_FORMS.metadata,
  originMetadataRoute.path,
  apiMetadataRoute.path,
  mcpMetadataRoute.path,
  registerRoute.path,
  `${registerRoute.path}:client_id/`,
])

oauthRouter.openapi(tokenRoute, issueToken)
oauthRouter.openapi(revokeRoute, revokeToken)
oauthRouter.openapi(revokeAliasRoute, revokeTokenAlias)
oauthRouter.openapi(introspectRoute, introspect)
oauthRouter.openapi(deviceAuthorizationRoute, startDeviceAuthorization)
oauthRouter.openapi(pushedAuthorizationRoute, pushAuthorizationRequest)
oauthRouter.openapi(metadataRoute, metadata)
oauthRouter.get(ISSUER_PATH_FORMS.metadata, pathMetadata)
oauthRouter.openapi(originMetadataRoute, originMetadata)
oauthRouter.openapi(apiMetadataRoute, apiMetadata)
oauthRouter.openapi(mcpMetadataRoute, mcpMetadata)
oauthRouter.openapi(registerRoute, register)
oauthRouter.openapi(readClientRoute, readClient)
oauthRouter.openapi(updateClientRoute, updateClient)
oauthRouter.openapi(deleteClientRoute, deleteClient)
answerOtherMethods(oauthRouter, oauth)
