/**
 * @module
 * Pushed authorization request endpoint handler (RFC 9126 §2): authenticate the client as the
 * token endpoint does, validate the request as the authorization endpoint would, store it.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { OAuthError } from '../http/oauth.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { formParams } from '../lib/forms.ts'
import { config, db, replicaDb, tokenFormat } from '../lib/request-context.ts'
import { issuer } from '../resource/issuer.ts'
import type { AppEnv } from '../types.ts'
import { findApplicationByClientId } from './applications.ts'
import { storePushedRequest } from './authorization/pushed-requests.ts'
import { validatePushedRequest } from './authorization/validate.ts'
import { authenticateClient, readClientCredentials } from './client-auth.ts'
import { clientAuthContext } from './client-auth-context.ts'
import { isUrlClientId, metadataDocumentContext, resolveUrlClient } from './client-metadata-document.ts'
import { ENDPOINTS } from './metadata.ts'
import type { pushedAuthorizationRoute } from './par.routes.ts'

export const pushAuthorizationRequest: RouteHandler<typeof pushedAuthorizationRoute, AppEnv> = async (c) => {
  const credentials = readClientCredentials(c.req.header('Authorization'), c.req.valid('form'))
  // Before anything is stored: the request is checked against this issuer's resources.
  const issuerId = issuer(c)
  // A client ID metadata document's client may push before its first authorization request;
  // one that is no longer current (or the setting off) is refused, as at the token endpoint.
  if (isUrlClientId(credentials.clientId)) {
    const seen = await findApplicationByClientId(replicaDb(c), credentials.clientId)
    if (!(await resolveUrlClient(metadataDocumentContext(c), credentials.clientId, seen))) {
      throw new OAuthError('invalid_client', 'Client authentication failed.', { status: 401 })
    }
  }
  const application = await authenticateClient(
    db(c),
    credentials,
    clientAuthContext(c, ENDPOINTS.pushedAuthorization),
    replicaDb(c),
  )
  const raw = await formParams(c)
  if (!raw) throw new OAuthError('invalid_request', 'The request body is not a readable form.')
  const settings = config(c)
  const params = validatePushedRequest(settings, issuerId, application, raw)
  const requestUri = await storePushedRequest(db(c), tokenFormat(c), {
    applicationId: application.id,
    params,
    lifetime: settings.pushedRequestLifetime,
  })
  return c.json({ request_uri: requestUri, expires_in: settings.pushedRequestLifetime }, 201, NO_STORE_HEADERS)
}
