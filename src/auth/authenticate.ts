/**
 * @module
 * Authentication middleware for the resource API: `Authorization: Bearer <token>` →
 * `c.var.auth`. Tokens are read from the header only: RFC 9700 §4.3.2 advises against
 * access tokens in URLs, so `?access_token=` is ignored.
 */
import type { MiddlewareHandler } from 'hono'
import { tokenStore } from '../lib/request-context.ts'
import { lookupAccessToken } from '../tokens/store.ts'
import type { AppEnv } from '../types.ts'
import { invalidToken, MESSAGES, malformedBearer, notAuthenticated } from './responses.ts'

const BEARER = 'bearer'
// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
// Far above any token minted here; longer values are refused without hashing them.
const MAX_TOKEN_LENGTH = 512

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization')?.trim()
    if (!header) return notAuthenticated(c)
    const space = header.search(/\s/)
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
    // DRF: a scheme no authenticator claims means no credentials were given.
    if (scheme !== BEARER) return notAuthenticated(c)
    const credentials = space < 0 ? '' : header.slice(space).trim()
    if (credentials === '') return malformedBearer(c, MESSAGES.noCredentials)
    if (/\s/.test(credentials)) return malformedBearer(c, MESSAGES.containsSpaces)
    if (credentials.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(credentials)) return invalidToken(c)

    const auth = await lookupAccessToken(tokenStore(c), credentials)
    if (!auth) return invalidToken(c)
    c.set('auth', auth)
    await next()
  }
}
