/**
 * @module
 * What client authentication needs from the request beyond its credentials: the failure limits
 * counted per client and per address (src/lib/rate-limit.ts) and, for private_key_jwt
 * (./client-assertion.ts), the audiences that name this server at the endpoint called, and how
 * the client's key set is fetched.
 */
import type { Context } from 'hono'
import { admitMetadataDocumentFetch, clientAuthGate, clientIp } from '../lib/rate-limit.ts'
import { config, db } from '../lib/request-context.ts'
import { knownIssuer } from '../resource/issuer.ts'
import type { AppEnv } from '../types.ts'
import type { ClientAuthContext } from './client-auth.ts'
import { ENDPOINTS } from './metadata.ts'

/**
 * What checking an assertion needs, for a request to `endpoint` (a path of ENDPOINTS): the
 * issuer and the token endpoint URL are accepted audiences everywhere, the PAR endpoint's URL at
 * the PAR endpoint (RFC 9126 §2). Key sets are fetched counted per client address, as documents are.
 */
export function clientAuthContext<E extends AppEnv>(c: Context<E>, endpoint?: string): ClientAuthContext {
  const issuer = knownIssuer(c)
  const { issuer: configured } = config(c)
  const audiences = issuer === null ? [] : [issuer, issuer + ENDPOINTS.token]
  if (issuer !== null && endpoint === ENDPOINTS.pushedAuthorization) audiences.push(issuer + endpoint)
  return {
    gate: clientAuthGate(c.env, clientIp(c)),
    assertions: {
      audiences,
      db: db(c),
      keys: {
        ownHosts: [new URL(c.req.url).host, ...(configured === null ? [] : [new URL(configured).host])],
        admitFetch: () => admitMetadataDocumentFetch(c.env, clientIp(c)),
      },
    },
  }
}
