/**
 * @module
 * Token endpoint handler: authenticate the client, run the grant, shape RFC 6749 §5.1.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { logIn } from '../accounts/login.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { clientIp, loginGate } from '../lib/rate-limit.ts'
import { config, db, signingKeys, tokenStore } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { authenticateClient, readClientCredentials } from './client-auth.ts'
import { OAuthError } from './errors.ts'
import { GRANTS } from './grants/index.ts'
import { issuer } from './issuer.ts'
import { touchRegisteredClient } from './registration.ts'
import type { tokenRoute } from './token.routes.ts'

export const issueToken: RouteHandler<typeof tokenRoute, AppEnv> = async (c) => {
  const params = c.req.valid('form')
  const grant = Object.hasOwn(GRANTS, params.grant_type) ? GRANTS[params.grant_type] : undefined
  if (!grant) throw new OAuthError('unsupported_grant_type', `Unsupported grant_type: ${params.grant_type}`)
  const credentials = readClientCredentials(c.req.header('Authorization'), params)
  const application = await authenticateClient(db(c), credentials)
  const checkPassword = async (username: string, password: string) => {
    const outcome = await logIn(db(c), loginGate(c.env, clientIp(c)), username, password)
    if (!outcome.ok && outcome.limited) {
      throw new OAuthError('slow_down', 'Too many login attempts; retry later.', {
        status: 429,
        headers: { 'Retry-After': String(outcome.retryAfter) },
      })
    }
    return outcome.ok ? outcome.user : null
  }
  const issued = await grant({
    store: tokenStore(c),
    config: config(c),
    application,
    params,
    issuer: issuer(c),
    signingKeys: () => signingKeys(c),
    checkPassword,
  })
  // In the background: the client has its token whether or not the record is written.
  const touched = touchRegisteredClient(db(c), application)
  if (touched) tokenStore(c).waitUntil(touched)
  return c.json(
    {
      access_token: issued.accessToken,
      expires_in: issued.expiresIn,
      token_type: 'Bearer' as const,
      scope: issued.scopes.join(' '),
      ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
      ...(issued.idToken ? { id_token: issued.idToken } : {}),
    },
    200,
    NO_STORE_HEADERS,
  )
}
