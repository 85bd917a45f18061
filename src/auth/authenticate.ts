/**
 * @module
 * Authentication middleware for the resource API: `Authorization: Bearer <token>` (OAuth2
 * access tokens) or `Authorization: Token <key>` (DRF keys) → `c.var.auth`. Each scheme is one
 * entry of a table. Credentials are read from the header only: RFC 9700 §4.3.2 advises against
 * access tokens in URLs, so `?access_token=` is ignored.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { tokenStore } from '../lib/request-context.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import { lookupApiKey } from '../tokens/store.ts'
import type { AppEnv } from '../types.ts'
import { credentialsProblem, parseAuthorization, verifyBearerToken } from './bearer.ts'
import { invalidToken, MESSAGES, malformedBearer, notAuthenticated, tokenAuthFailed } from './responses.ts'

type Scheme = {
  /** How a header without credentials, or with spaces in them, is refused. */
  malformed: (c: Context, detail: string) => Response
  /** The caller, or the response refusing the credentials. */
  verify: (c: Context<AppEnv>, credentials: string) => Promise<AuthContext | Response>
}

const bearer: Scheme = {
  malformed: malformedBearer,
  async verify(c, credentials) {
    return (await verifyBearerToken(tokenStore(c), credentials)) ?? invalidToken(c)
  },
}

/** DRF's TokenAuthentication, with its exact messages. */
const token: Scheme = {
  malformed: tokenAuthFailed,
  async verify(c, credentials) {
    const found = await lookupApiKey(tokenStore(c), credentials)
    if (found.status === 'valid') return found.context
    return tokenAuthFailed(c, found.status === 'inactive' ? MESSAGES.userInactive : MESSAGES.invalidToken)
  },
}

/** Lower-cased scheme name (RFC 7235 §2.1: case-insensitive) → how it is checked. */
const SCHEMES: Record<string, Scheme> = { bearer, token }

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const parsed = parseAuthorization(c.req.header('Authorization'))
    if (!parsed) return notAuthenticated(c)
    const name = parsed.scheme
    // DRF: a scheme no authenticator claims means no credentials were given.
    const scheme = Object.hasOwn(SCHEMES, name) ? SCHEMES[name] : undefined
    if (!scheme) return notAuthenticated(c)
    const problem = credentialsProblem(parsed.credentials)
    if (problem) return scheme.malformed(c, problem)

    const result = await scheme.verify(c, parsed.credentials)
    if (result instanceof Response) return result
    c.set('auth', result)
    await next()
  }
}
