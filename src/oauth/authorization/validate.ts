/**
 * @module
 * The authorization request's checks in their order, as oidc-provider's lib/actions/authorization
 * lists them: each is one file here, and the order matters — nothing is redirected until the
 * client and its redirect_uri are known to be genuine (RFC 6749 §4.1.2.1).
 */
import type { Config } from '../../config.ts'
import type { Db } from '../../db/client.ts'
import type { RawParams } from '../../lib/forms.ts'
import { OAuthError } from '../errors.ts'
import { requestedAudience, resources } from '../resources.ts'
import { resolveScopes } from '../scopes.ts'
import { checkClient, type UrlClientResolver } from './check-client.ts'
import { checkParams, echoedState } from './check-params.ts'
import { checkPkce } from './check-pkce.ts'
import { checkPrompt } from './check-prompt.ts'
import { checkRedirectUri } from './check-redirect-uri.ts'
import { checkResponseType } from './check-response-type.ts'
import { readAuthorizeParams } from './params.ts'
import type { AuthorizeErrorCode, AuthorizeOutcome } from './request.ts'
import { UntrustedRequest } from './request.ts'

/**
 * Validates an authorization request given as name → every value sent. Returns the request as
 * checked, an error page (the client or redirect_uri cannot be trusted) or an error redirect.
 */
export async function validateAuthorizeRequest(
  db: Db,
  config: Config,
  issuer: string,
  raw: RawParams,
  resolveUrlClient: UrlClientResolver,
): Promise<AuthorizeOutcome> {
  const input = readAuthorizeParams(raw)
  const { params } = input
  let application: Awaited<ReturnType<typeof checkClient>>
  let redirectUri: string
  try {
    application = await checkClient(db, input, resolveUrlClient)
    redirectUri = checkRedirectUri(application, input)
  } catch (error) {
    if (!(error instanceof UntrustedRequest)) throw error
    return {
      kind: 'page',
      error: error.error,
      description: error.message,
      status: error.status,
      headers: error.headers,
    }
  }

  const state = echoedState(input)
  try {
    checkParams(input)
    checkResponseType(params, application)
    const scopes = resolveScopes(params.scope, config, application)
    const known = resources(issuer, config)
    const audience = requestedAudience(params.resource, known)
    const pkce = checkPkce(params, application, config)
    const { prompt, maxAge } = checkPrompt(params)
    return {
      kind: 'valid',
      request: {
        application,
        redirectUri,
        scopes,
        state,
        ...pkce,
        nonce: params.nonce ?? '',
        prompt,
        maxAge,
        loginHint: params.login_hint,
        resources: params.resource?.length ? [...audience] : [],
        audience,
        known,
      },
    }
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    return {
      kind: 'redirect',
      redirectUri,
      params: { error: error.code as AuthorizeErrorCode, error_description: error.message, state },
    }
  }
}
