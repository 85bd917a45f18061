/**
 * @module
 * Revocation and introspection handlers: authenticate the caller, act, shape the answer.
 */
import type { RouteHandler, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { config, db, replicaDb, tokenStore } from '../lib/request-context.ts'
import { resources } from '../resource/audiences.ts'
import { jwtAccessTokenVerification, knownIssuer } from '../resource/issuer.ts'
import { revokeRefreshToken } from '../tokens/refresh-tokens.ts'
import { revokeAccessToken } from '../tokens/revocation.ts'
import type { AppEnv } from '../types.ts'
import { authenticateClient, readClientCredentials } from './client-auth.ts'
import { clientAuthContext } from './client-auth-context.ts'
import { authenticateIntrospectionCaller, introspectToken } from './introspection.ts'
import type { introspectRoute, revokeAliasRoute, revokeRoute, TokenActionSchema } from './revocation.routes.ts'

type TokenAction = z.infer<typeof TokenActionSchema>

async function revoke(c: Context<AppEnv>, params: TokenAction) {
  // The client as a replica has it; the revocation below changes nothing if a fence in the
  // token's shard says the client changed since (src/tokens/fences.ts).
  const application = await authenticateClient(
    db(c),
    readClientCredentials(c.req.header('Authorization'), params),
    clientAuthContext(c),
    replicaDb(c),
  )
  const store = tokenStore(c)
  const facts = { application }
  // RFC 7009 §2.1: the hint only orders the search. A token of another client is left alone
  // and, as an unknown one, answered with 200 (§2.2), revealing nothing. An RFC 9068 JWT access
  // token is revoked by its row (found by its jti).
  const jwt = jwtAccessTokenVerification(c)
  const kinds = [
    () => revokeAccessToken(store, params.token, application.id, facts, jwt),
    () => revokeRefreshToken(store, params.token, application.id, facts),
  ]
  if (params.token_type_hint === 'refresh_token') kinds.reverse()
  for (const revokeKind of kinds) {
    if (await revokeKind()) break
  }
  return c.body(null, 200, NO_STORE_HEADERS)
}

export const revokeToken: RouteHandler<typeof revokeRoute, AppEnv> = (c) => revoke(c, c.req.valid('form'))
export const revokeTokenAlias: RouteHandler<typeof revokeAliasRoute, AppEnv> = (c) => revoke(c, c.req.valid('form'))

export const introspect: RouteHandler<typeof introspectRoute, AppEnv> = async (c) => {
  const params = c.req.valid('form')
  const store = tokenStore(c)
  const caller = authenticateIntrospectionCaller(
    store,
    replicaDb(c),
    clientAuthContext(c),
    c.req.header('Authorization'),
    params,
  )
  const issuerId = knownIssuer(c)
  const known = issuerId === null ? null : resources(issuerId, config(c))
  const jwt = jwtAccessTokenVerification(c)
  return c.json(await introspectToken(store, params.token, caller, known, jwt), 200, NO_STORE_HEADERS)
}
