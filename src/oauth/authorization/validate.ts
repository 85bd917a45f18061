/**
 * @module
 * The authorization request's checks in their order, as oidc-provider's lib/actions/authorization
 * lists them, each one file here, for the two endpoints that take an authorization request:
 *
 * | check                  | /o/authorize/ | /o/par/ (RFC 9126 §2.1)            |
 * | ---------------------- | ------------- | ---------------------------------- |
 * | client                 | check-client  | client authentication (client-auth)|
 * | pushed request         | load-pushed   | a request_uri refused               |
 * | redirect_uri           | check-redirect-uri                                  |
 * | PAR required           | check-pushed  | —                                  |
 * | repeated, too long     | check-params                                        |
 * | response_type, grant   | check-response-type                                 |
 * | scope                  | scopes.ts resolveScopes (the device endpoint's too)  |
 * | resource (RFC 8707)    | resources.ts requestedAudience (the device endpoint's too) |
 * | PKCE                   | check-pkce                                          |
 * | prompt, max_age        | check-prompt                                        |
 *
 * The order matters: nothing is redirected until the client and its redirect_uri are known to be
 * genuine (RFC 6749 §4.1.2.1); before that /o/authorize/ shows an error page.
 */
import type { Config } from '../../config.ts'
import type { TokenFormat } from '../../crypto/token-format.ts'
import type { Db } from '../../db/client.ts'
import type { Application } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import type { RawParams } from '../../lib/forms.ts'
import { requestedAudience, resources } from '../../resource/audiences.ts'
import { resolveScopes } from '../scopes.ts'
import { checkClient, type UrlClientResolver } from './check-client.ts'
import { checkParams, echoedState } from './check-params.ts'
import { checkPkce } from './check-pkce.ts'
import { checkPrompt } from './check-prompt.ts'
import { checkPushed } from './check-pushed.ts'
import { checkRedirectUri } from './check-redirect-uri.ts'
import { checkResponseType } from './check-response-type.ts'
import { loadPushedRequest } from './load-pushed-request.ts'
import { type AuthorizeInput, authorizeParamsOf, readAuthorizeParams } from './params.ts'
import type { AuthorizeErrorCode, AuthorizeOutcome, AuthorizeRequest } from './request.ts'
import { UntrustedRequest } from './request.ts'

/** What the checks after the redirect_uri read. */
type Checked = {
  config: Config
  issuer: string
  input: AuthorizeInput
  application: Application
  redirectUri: string
  pushed: AuthorizeRequest['pushed']
}

/** The checks once the client and its redirect_uri are trusted; OAuthError for the first that fails. */
function checkRequest({ config, issuer, input, application, redirectUri, pushed }: Checked): AuthorizeRequest {
  const { params } = input
  checkParams(input)
  checkResponseType(params, application)
  const scopes = resolveScopes(params.scope, config, application)
  const known = resources(issuer, config)
  const audience = requestedAudience(params.resource, known)
  const pkce = checkPkce(params, application, config)
  const { prompt, maxAge } = checkPrompt(params)
  return {
    application,
    redirectUri,
    scopes,
    state: echoedState(input),
    ...pkce,
    nonce: params.nonce ?? '',
    prompt,
    maxAge,
    loginHint: params.login_hint,
    resources: params.resource?.length ? [...audience] : [],
    audience,
    known,
    pushed,
  }
}

/** Where the authorization endpoint reads: `reads` (perhaps a replica), the primary, the token format. */
export type AuthorizeStorage = { reads: Db; primary: Db; format: TokenFormat }

/**
 * Validates an authorization request given as name → every value sent (or a pushed one, by its
 * request_uri). Returns the request as checked, an error page (the client, the request_uri or the
 * redirect_uri cannot be trusted) or an error to redirect to the verified redirect_uri.
 */
export async function validateAuthorizeRequest(
  storage: AuthorizeStorage,
  config: Config,
  issuer: string,
  raw: RawParams,
  resolveUrlClient: UrlClientResolver,
): Promise<AuthorizeOutcome> {
  let input = readAuthorizeParams(raw)
  let checked: Checked
  try {
    const application = await checkClient(storage.reads, input, resolveUrlClient)
    const found = await loadPushedRequest(storage.reads, storage.primary, storage.format, application, input)
    const pushed = found && { id: found.id, requestUri: input.params.request_uri ?? '', pushedAt: found.pushedAt }
    if (found) input = readAuthorizeParams(found.params)
    const redirectUri = checkRedirectUri(application, input)
    checked = { config, issuer, input, application, redirectUri, pushed }
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
  try {
    checkPushed(checked.application, config, checked.pushed !== null)
    return { kind: 'valid', request: checkRequest(checked) }
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    return {
      kind: 'redirect',
      redirectUri: checked.redirectUri,
      params: { error: error.code as AuthorizeErrorCode, error_description: error.message, state: echoedState(input) },
      pushed: checked.pushed,
    }
  }
}

/**
 * RFC 9126 §2.1: a pushed request from the client that authenticated, validated as the
 * authorization endpoint would (so it is refused now rather than in the browser); the parameters
 * to store. Throws OAuthError (the token endpoint's error format, §2.3): a redirect_uri that is not
 * the client's is invalid_request, since nothing is redirected from here.
 */
export function validatePushedRequest(
  config: Config,
  issuer: string,
  application: Application,
  raw: RawParams,
): RawParams {
  const input = readAuthorizeParams(raw)
  if (input.params.request_uri !== undefined || input.repeated.includes('request_uri')) {
    throw new OAuthError('invalid_request', 'A pushed request may not contain a request_uri (RFC 9126 §2.1).')
  }
  if (
    input.repeated.includes('client_id') ||
    (input.params.client_id ?? application.clientId) !== application.clientId
  ) {
    throw new OAuthError('invalid_request', 'client_id differs from the client that authenticated.')
  }
  let redirectUri: string
  try {
    redirectUri = checkRedirectUri(application, input)
  } catch (error) {
    if (!(error instanceof UntrustedRequest)) throw error
    throw new OAuthError('invalid_request', error.message)
  }
  checkRequest({ config, issuer, input, application, redirectUri, pushed: null })
  return { ...authorizeParamsOf(raw), client_id: [application.clientId] }
}
