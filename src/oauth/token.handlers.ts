/**
 * @module
 * Token endpoint handler: authenticate the client, run the grant, shape RFC 6749 §5.1.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { logIn } from '../accounts/login.ts'
import { normalizeUsername } from '../accounts/usernames.ts'
import type { CredentialFacts } from '../accounts/users.ts'
import { DPOP_NONCE_HEADER } from '../auth/dpop.ts'
import type { Db } from '../db/client.ts'
import type { Application } from '../db/schema.ts'
import { OAuthError } from '../http/oauth.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { clientIp, loginGate } from '../lib/rate-limit.ts'
import { config, db, replicaDb, signingKeys, tokenStore } from '../lib/request-context.ts'
import { issuer } from '../resource/issuer.ts'
import type { AppEnv } from '../types.ts'
import { authenticateClient, readClientCredentials } from './client-auth.ts'
import { clientAuthContext } from './client-auth-context.ts'
import { isUrlClientId, metadataDocumentContext, requireCurrentUrlClient } from './client-metadata-document.ts'
import { acceptTokenRequestProof, tokenRequestProof, tokenType } from './dpop.ts'
import { GRANTS } from './grants/index.ts'
import { StaleFacts } from './grants/types.ts'
import { touchRegisteredClient } from './registration.ts'
import type { tokenRoute } from './token.routes.ts'

export const issueToken: RouteHandler<typeof tokenRoute, AppEnv> = async (c) => {
  const params = c.req.valid('form')
  const grant = Object.hasOwn(GRANTS, params.grant_type) ? GRANTS[params.grant_type] : undefined
  if (!grant) throw new OAuthError('unsupported_grant_type', `Unsupported grant_type: ${params.grant_type}`)
  const credentials = readClientCredentials(c.req.header('Authorization'), params)
  const gate = loginGate(c.env, clientIp(c))
  // RFC 9449 §5: checked before anything else (CPU only); its use is recorded once the client is known.
  const proof = await tokenRequestProof(c)
  let proofAccepted: Promise<void> | undefined
  const checkPassword = async (username: string, password: string, seen?: Promise<CredentialFacts>) => {
    const outcome = await logIn(db(c), gate, username, password, seen)
    if (!outcome.ok && outcome.limited) {
      throw new OAuthError('slow_down', 'Too many login attempts; retry later.', {
        status: 429,
        headers: { 'Retry-After': String(outcome.retryAfter) },
      })
    }
    return outcome.ok ? outcome.user : null
  }
  // First with what a replica has, re-checked by the primary when the grant writes; if that
  // no longer held, once more reading the primary (docs/architecture.md "Round trips and consistency").
  // The client the grant authenticated, for the registered-client bookkeeping below.
  let client: Application | undefined
  // A client assertion is single-use (its jti is recorded when it is checked, against the primary's
  // row): the second run below reuses the client it proved instead of presenting it again.
  let asserted: Promise<Application> | undefined
  const authContext = clientAuthContext(c)
  const run = (replica: Db | null) =>
    grant({
      store: tokenStore(c),
      config: config(c),
      authenticate: async () => {
        if (isUrlClientId(credentials.clientId)) {
          await requireCurrentUrlClient(metadataDocumentContext(c), replica ?? db(c), credentials.clientId)
        }
        if (credentials.method !== 'private_key_jwt') {
          client = await authenticateClient(db(c), credentials, authContext, replica)
        } else {
          asserted ??= authenticateClient(db(c), credentials, authContext, replica)
          client = await asserted
        }
        // Once, though the grant may run twice (on the primary after stale facts).
        proofAccepted ??= acceptTokenRequestProof(c, client, proof)
        await proofAccepted
        return client
      },
      replica,
      params,
      dpopJkt: proof?.jkt ?? null,
      issuer: issuer(c),
      keyFetch: authContext.assertions.keys,
      signingKeys: () => signingKeys(c),
      checkPassword,
      expectLogin: (username) => gate.prefetch(normalizeUsername(username)),
    })
  const issued = await run(replicaDb(c)).catch((error: unknown) => {
    if (!(error instanceof StaleFacts)) throw error
    return run(null).catch((again: unknown) => {
      // Read from the primary and changed again before the write: a concurrent change won.
      if (again instanceof StaleFacts) throw new OAuthError('invalid_grant', 'The grant changed; try again.')
      throw again
    })
  })
  // In the background: the client has its token whether or not the record is written.
  const touched = client && touchRegisteredClient(db(c), client)
  if (touched) tokenStore(c).waitUntil(touched)
  if (issued.issuedTokenType !== undefined) {
    // RFC 8693 §2.2.1: not an access token, so no token_type; scope only when there is one.
    return c.json(
      {
        access_token: issued.accessToken,
        issued_token_type: issued.issuedTokenType,
        token_type: 'N_A' as const,
        expires_in: issued.expiresIn,
        ...(issued.scopes.length > 0 ? { scope: issued.scopes.join(' ') } : {}),
      },
      200,
      NO_STORE_HEADERS,
    )
  }
  return c.json(
    {
      access_token: issued.accessToken,
      expires_in: issued.expiresIn,
      token_type: tokenType(issued),
      scope: issued.scopes.join(' '),
      ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
      ...(issued.idToken ? { id_token: issued.idToken } : {}),
    },
    200,
    // RFC 9449 §8.2: the next nonce, when the proof's is about to expire.
    proof?.freshNonce === undefined ? NO_STORE_HEADERS : { ...NO_STORE_HEADERS, [DPOP_NONCE_HEADER]: proof.freshNonce },
  )
}
