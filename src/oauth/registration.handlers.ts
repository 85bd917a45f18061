/**
 * @module
 * Dynamic client registration handlers (RFC 7591, RFC 7592): policy, rate limit and token
 * checks here, everything about the client in src/oauth/registration.ts.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Application } from '../db/schema.ts'
import { schemeCredential } from '../http/authorization.ts'
import { OAuthError } from '../http/oauth.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { admitRegistration, clientIp, LOGIN_LIMIT_PERIOD_SECONDS } from '../lib/rate-limit.ts'
import { config, db, tokenStore } from '../lib/request-context.ts'
import { issuer } from '../resource/issuer.ts'
import type { AppEnv } from '../types.ts'
import type { deleteClientRoute, readClientRoute, registerRoute, updateClientRoute } from './registration.routes.ts'
import {
  checkInitialAccessToken,
  clientInformation,
  deleteRegisteredClient,
  findRegisteredClient,
  invalidRegistrationToken,
  parseClientMetadata,
  REGISTRATION_CHALLENGE,
  registerClient,
  updateRegisteredClient,
} from './registration.ts'

const BEARER = 'bearer'

function bearerToken(c: Context<AppEnv>): string | null {
  return schemeCredential(c.req.header('Authorization'), BEARER)
}

export const register: RouteHandler<typeof registerRoute, AppEnv> = async (c) => {
  const settings = config(c)
  if (settings.clientRegistration.policy === 'off') {
    throw new OAuthError('access_denied', 'Dynamic client registration is not enabled on this server.', {
      status: 403,
    })
  }
  const base = issuer(c)
  if (!(await admitRegistration(c.env, clientIp(c)))) {
    throw new OAuthError('slow_down', 'Too many registrations from this address; retry later.', {
      status: 429,
      headers: { 'Retry-After': String(LOGIN_LIMIT_PERIOD_SECONDS) },
    })
  }
  await checkInitialAccessToken(settings, bearerToken(c))
  const metadata = parseClientMetadata(c.req.valid('json'), settings)
  const { application, clientSecret, registrationToken } = await registerClient(db(c), metadata)
  return c.json(
    {
      ...clientInformation(application, base),
      ...(clientSecret === null ? {} : { client_secret: clientSecret }),
      registration_access_token: registrationToken,
    },
    201,
    NO_STORE_HEADERS,
  )
}

/**
 * RFC 7592 §2: the client of the configuration endpoint, proven by its registration access
 * token. No token: 401 with a bare challenge (RFC 6750 §3.1); a wrong one, or a client that does
 * not exist or did not register itself: 401 invalid_token, alike.
 */
async function registeredClient(c: Context<AppEnv>, clientId: string): Promise<Application> {
  const token = bearerToken(c)
  if (token === null) {
    throw new OAuthError('invalid_request', 'A registration access token is required.', {
      status: 401,
      headers: { 'WWW-Authenticate': REGISTRATION_CHALLENGE },
    })
  }
  const application = await findRegisteredClient(db(c), { clientId, token })
  if (!application) throw invalidRegistrationToken('The registration access token is not valid for this client.')
  return application
}

export const readClient: RouteHandler<typeof readClientRoute, AppEnv> = async (c) => {
  const base = issuer(c)
  const application = await registeredClient(c, c.req.valid('param').client_id)
  return c.json(clientInformation(application, base), 200, NO_STORE_HEADERS)
}

export const updateClient: RouteHandler<typeof updateClientRoute, AppEnv> = async (c) => {
  const base = issuer(c)
  const application = await registeredClient(c, c.req.valid('param').client_id)
  const body = c.req.valid('json')
  const metadata = parseClientMetadata(body, config(c))
  const updated = await updateRegisteredClient(tokenStore(c), application, body as Record<string, unknown>, metadata)
  return c.json(clientInformation(updated, base), 200, NO_STORE_HEADERS)
}

export const deleteClient: RouteHandler<typeof deleteClientRoute, AppEnv> = async (c) => {
  const application = await registeredClient(c, c.req.valid('param').client_id)
  await deleteRegisteredClient(tokenStore(c), application)
  return c.body(null, 204)
}
