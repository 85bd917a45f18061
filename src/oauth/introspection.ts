/**
 * @module
 * Token introspection (RFC 7662): who may ask, and what D1 says about a token. Answers come
 * from D1, not the KV cache, so a revocation is reflected at once everywhere.
 */
import { sha256Hex } from '../crypto/digest.ts'
import { isWellFormedToken } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { findLiveAccessToken, lookupAccessToken, type TokenStore } from '../tokens/store.ts'
import { authenticateClient, readClientCredentials } from './client-auth.ts'
import { CLIENT_CHALLENGE, OAuthError } from './errors.ts'

/** The scope a Bearer token needs to call the introspection endpoint (DOT's convention). */
export const INTROSPECTION_SCOPE = 'introspection'

export type Introspection =
  | {
      active: true
      scope: string
      client_id: string
      username?: string
      token_type: 'Bearer'
      exp: number
      iat: number
      sub?: string
    }
  | { active: false }

// RFC 7662 §2.3: a caller that fails authentication gets 401, challenged with both schemes it may use.
const INTROSPECTION_CHALLENGE = `${CLIENT_CHALLENGE}, Bearer realm="oauth"`
const unauthorized = () =>
  new OAuthError('invalid_client', 'Authentication required to introspect tokens.', {
    status: 401,
    headers: { 'WWW-Authenticate': INTROSPECTION_CHALLENGE },
  })

/**
 * RFC 7662 §2.1: the caller is a confidential client (Basic or body credentials) or holds
 * a Bearer token with the `introspection` scope. Throws a 401 OAuthError otherwise.
 */
export async function authenticateIntrospectionCaller(
  store: TokenStore,
  authorization: string | undefined,
  body: { client_id?: string; client_secret?: string },
): Promise<void> {
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (bearer) {
    const caller = await lookupAccessToken(store, bearer[1])
    if (!caller?.scopes.includes(INTROSPECTION_SCOPE)) throw unauthorized()
    return
  }
  if (authorization === undefined && body.client_id === undefined) throw unauthorized()
  try {
    const credentials = readClientCredentials(authorization, body)
    // Public clients prove nothing with a client_id alone.
    if (credentials.method === 'none') throw unauthorized()
    await authenticateClient(store.db, credentials)
  } catch (error) {
    throw error instanceof OAuthError && error.status === 401 ? unauthorized() : error
  }
}

/** RFC 7662 §2.2: what is known about a live access token; `{active: false}` for anything else. */
export async function introspectToken(db: Db, token: string): Promise<Introspection> {
  if (!isWellFormedToken(token, 'access')) return { active: false }
  const row = await findLiveAccessToken(db, await sha256Hex(token))
  if (!row) return { active: false }
  return {
    active: true,
    scope: row.scope,
    client_id: row.clientId,
    ...(row.username === null ? {} : { username: row.username }),
    token_type: 'Bearer',
    exp: row.expiresAt,
    iat: Math.floor(row.createdAt.getTime() / 1000),
    ...(row.userId === null ? {} : { sub: String(row.userId) }),
  }
}
