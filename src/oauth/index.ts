/**
 * @module
 * The authorization server's JSON routes under /o/ and its RFC 8414 metadata (OAuth dialect),
 * and the browser-facing pages: the consent flow at /o/authorize/ and the device verification
 * page at /o/device/ (HTML dialect).
 */
import { createHtmlRouter, csrfProtection, html } from '../http/html.tsx'
import { createOAuthRouter, oauth } from '../http/oauth.ts'
import { answerOtherMethods } from '../http/router.ts'
import { authorizeDecision, authorizePage } from './authorize.handlers.tsx'
import { deviceEntry, devicePage } from './device.handlers.tsx'
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

/** The consent flow and the device verification page: HTML, not part of the JSON API description. */
export const authorizeRouter = createHtmlRouter([ENDPOINTS.authorization, ENDPOINTS.deviceVerification])

authorizeRouter.use(ENDPOINTS.authorization, csrfProtection)
authorizeRouter.get(ENDPOINTS.authorization, authorizePage)
authorizeRouter.post(ENDPOINTS.authorization, authorizeDecision)
authorizeRouter.use(ENDPOINTS.deviceVerification, csrfProtection)
authorizeRouter.get(ENDPOINTS.deviceVerification, devicePage)
authorizeRouter.post(ENDPOINTS.deviceVerification, deviceEntry)
answerOtherMethods(authorizeRouter, html)
