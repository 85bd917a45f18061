/**
 * @module
 * OIDC handlers: discovery, JWKS and UserInfo.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import type { Context, Handler } from 'hono'
import {
  authenticateBearer,
  BEARER_MESSAGES,
  type BearerOutcome,
  credentialsProblem,
  sendsTokenTwice,
} from '../../auth/bearer.ts'
import { authenticateDpop, DPOP_NONCE_HEADER, dpopChallenge, dpopRefusalStatus } from '../../auth/dpop.ts'
import { parseAuthorization } from '../../http/authorization.ts'
import { OAuthError, oauth } from '../../http/oauth.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import { config, db, signingKeys, tokenStore } from '../../lib/request-context.ts'
import { issuer } from '../../resource/issuer.ts'
import type { AppEnv } from '../../types.ts'
import { atIssuerPath, ENDPOINTS, openidConfiguration } from '../metadata.ts'
import type { jwksRoute, openidConfigurationRoute, userinfoGetRoute } from './oidc.routes.ts'
import { DPOP_USERINFO_CHALLENGE, userinfoClaims } from './userinfo.ts'

// Metadata changes only with a deploy. JWKS gains a key on rotation, and the newest key signs at
// once: 10 minutes of caching is the longest a verifier may miss it (verifiers refetch on an
// unknown kid anyway).
const DISCOVERY_CACHE = { 'Cache-Control': 'public, max-age=3600' }
const JWKS_CACHE = { 'Cache-Control': 'public, max-age=600' }

export const getOpenidConfiguration: RouteHandler<typeof openidConfigurationRoute, AppEnv> = async (c) =>
  c.json(openidConfiguration(issuer(c), config(c), await signingKeys(c)), 200, DISCOVERY_CACHE)

/** The same document where an issuer with a path has it (../metadata.ts `atIssuerPath`); 404 for any other issuer. */
export const getOpenidConfigurationAtPath: Handler<AppEnv> = async (c) => {
  const id = issuer(c)
  if (!atIssuerPath(id, c.req.path, ENDPOINTS.openidConfiguration)) return oauth.notFound(c)
  return c.json(openidConfiguration(id, config(c), await signingKeys(c)), 200, DISCOVERY_CACHE)
}

export const getJwks: RouteHandler<typeof jwksRoute, AppEnv> = async (c) =>
  c.json((await signingKeys(c)).jwks as { keys: Record<string, string>[] }, 200, JWKS_CACHE)

export const getUserinfo: RouteHandler<typeof userinfoGetRoute, AppEnv> = async (c) => {
  const header = c.req.header('Authorization')
  if (parseAuthorization(header)?.scheme === 'dpop') return dpopUserinfo(c)
  // RFC 6750 §3.1: a token sent both in the header and as access_token is an invalid_request.
  const outcome: BearerOutcome = (await sendsTokenTwice(c))
    ? { kind: 'malformed', detail: BEARER_MESSAGES.severalMethods }
    : await authenticateBearer(tokenStore(c), header)
  // OIDC Core §5.3.2: personal data; never cached.
  return c.json(await userinfoClaims(db(c), outcome), 200, NO_STORE_HEADERS)
}

/** RFC 9449 §7: UserInfo for `Authorization: DPoP <token>` with its proof; refusals challenged with DPoP. */
async function dpopUserinfo(c: Context<AppEnv>) {
  const credentials = parseAuthorization(c.req.header('Authorization'))?.credentials ?? ''
  const malformed = (await sendsTokenTwice(c)) ? BEARER_MESSAGES.severalMethods : credentialsProblem(credentials)
  if (malformed) {
    throw new OAuthError('invalid_request', malformed, {
      headers: { 'WWW-Authenticate': dpopChallenge({ error: 'invalid_request' }) },
    })
  }
  const outcome = await authenticateDpop(c, credentials)
  if ('error' in outcome) {
    throw new OAuthError(outcome.error, outcome.description, {
      status: dpopRefusalStatus(outcome),
      headers: {
        'WWW-Authenticate': dpopChallenge({ error: outcome.error }),
        ...(outcome.nonce === undefined ? {} : { [DPOP_NONCE_HEADER]: outcome.nonce }),
      },
    })
  }
  const claims = await userinfoClaims(db(c), { kind: 'authenticated', auth: outcome.auth }, DPOP_USERINFO_CHALLENGE)
  return c.json(claims, 200, {
    ...NO_STORE_HEADERS,
    ...(outcome.freshNonce === undefined ? {} : { [DPOP_NONCE_HEADER]: outcome.freshNonce }),
  })
}
