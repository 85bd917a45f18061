/**
 * @module
 * Device authorization endpoint handler (RFC 8628 §3.1–§3.2): authenticate the client as the
 * token endpoint does, check it may use the device grant and is within its limits (per client and
 * per address), resolve the scopes and the resources (RFC 8707), mint the codes.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { DEVICE_CODE_GRANT } from '../db/schema.ts'
import { OAuthError } from '../http/oauth.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { admitDeviceAuthorization, clientIp, DEVICE_LIMIT_PERIOD_SECONDS } from '../lib/rate-limit.ts'
import { config, db, tokenFormat } from '../lib/request-context.ts'
import { requestedAudience, resources, storedAudience } from '../resource/audiences.ts'
import { issuer, issuerOrigin } from '../resource/issuer.ts'
import { createDeviceCode } from '../tokens/device-codes.ts'
import type { AppEnv } from '../types.ts'
import { authenticateClient, readClientCredentials } from './client-auth.ts'
import { clientAuthContext } from './client-auth-context.ts'
import type { deviceAuthorizationRoute } from './device-authorization.routes.ts'
import { requireApplicationGrant } from './grants/types.ts'
import { ENDPOINTS } from './metadata.ts'
import { resolveScopes } from './scopes.ts'

export const startDeviceAuthorization: RouteHandler<typeof deviceAuthorizationRoute, AppEnv> = async (c) => {
  const params = c.req.valid('form')
  const credentials = readClientCredentials(c.req.header('Authorization'), params)
  const application = await authenticateClient(db(c), credentials, clientAuthContext(c))
  requireApplicationGrant(application, DEVICE_CODE_GRANT)
  // Every request stores a row until the code expires: counted per client and per address first.
  if (!(await admitDeviceAuthorization(c.env, application.id, clientIp(c)))) {
    throw new OAuthError('slow_down', 'Too many device authorization requests; retry later.', {
      status: 429,
      headers: { 'Retry-After': String(DEVICE_LIMIT_PERIOD_SECONDS) },
    })
  }
  const settings = config(c)
  const scopes = resolveScopes(params.scope, settings, application)
  // Before anything is minted: the verification URI needs the issuer (ISSUER).
  const issuerId = issuer(c)
  const verificationUri = issuerOrigin(issuerId) + ENDPOINTS.deviceVerification
  // RFC 8707 §2 (as on the authorization request): the resources the tokens will be for.
  const known = resources(issuerId, settings)
  const audience = storedAudience(requestedAudience(params.resource, known), known)
  const { deviceCode, userCode } = await createDeviceCode(db(c), tokenFormat(c), {
    applicationId: application.id,
    scopes,
    lifetime: settings.deviceCodeLifetime,
    interval: settings.deviceCodeInterval,
    audience,
  })
  return c.json(
    {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      // §3.3.1: the code in the URI spares typing it; the page still asks for the approval.
      verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: userCode })}`,
      expires_in: settings.deviceCodeLifetime,
      interval: settings.deviceCodeInterval,
    },
    200,
    NO_STORE_HEADERS,
  )
}
