/**
 * @module
 * The consent flow at `GET|POST /o/authorize/` (RFC 6749 §4.1.1–§4.1.2): the request checked by
 * the protocol's own checks (src/oauth/authorization/), a login required, consent asked (or
 * skipped), then a redirect with a code or an error. What is shown is this module's; what is
 * decided and minted is src/oauth/'s.
 */
import type { Context } from 'hono'
import { readSession } from '../../accounts/session.ts'
import type { Db } from '../../db/client.ts'
import { OAuthError } from '../../http/oauth.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import { formParams, queryParams, type RawParams, single } from '../../lib/forms.ts'
import { config, db, readDb, tokenFormat, tokenStore } from '../../lib/request-context.ts'
import { nowSeconds } from '../../lib/time.ts'
import { AUTHORIZE_PARAMS } from '../../oauth/authorization/params.ts'
import { consumePushedRequest } from '../../oauth/authorization/pushed-requests.ts'
import type {
  AuthorizationResponse,
  AuthorizeErrorCode,
  AuthorizeRequest,
  Prompt,
} from '../../oauth/authorization/request.ts'
import { validateAuthorizeRequest } from '../../oauth/authorization/validate.ts'
import { authorizationResponseUrl, codeAudience, maySkipConsent } from '../../oauth/authorize.ts'
import {
  isMetadataDocumentClient,
  metadataDocumentContext,
  resolveUrlClient,
} from '../../oauth/client-metadata-document.ts'
import { ENDPOINTS } from '../../oauth/metadata.ts'
import { issuer } from '../../resource/issuer.ts'
import { createAuthorizationCode } from '../../tokens/authorization-codes.ts'
import type { AppEnv, Session } from '../../types.ts'
import { errorPage, malformedForm, renderPrivatePage } from '../kit/page.tsx'
import { toLogin } from '../kit/session.ts'
import { ConsentPage } from './consent.tsx'

const APPROVE = 'Approve'

function redirect(c: Context<AppEnv>, location: string): Response {
  return c.body(null, 302, { Location: location, ...NO_STORE_HEADERS })
}

/** Sends the authorization response (a code or an error) to the client's redirect_uri. */
function respond(c: Context<AppEnv>, redirectUri: string, params: AuthorizationResponse): Response {
  return redirect(c, authorizationResponseUrl(redirectUri, params, issuer(c)))
}

const USED_REQUEST_URI = 'The request_uri was already answered.'

/**
 * RFC 9126 §4: a pushed request gets one authorization response. Claims it (a concurrent answer
 * loses) before `answer` mints anything; an error page when it was already answered.
 */
async function answerOnce(
  c: Context<AppEnv>,
  pushed: AuthorizeRequest['pushed'],
  answer: () => Promise<Response> | Response,
): Promise<Response> {
  if (pushed && !(await consumePushedRequest(db(c), pushed.id))) {
    return errorPage(c, 400, {
      title: 'Authorization failed',
      error: 'invalid_request_uri',
      description: USED_REQUEST_URI,
    })
  }
  return answer()
}

// Prompts that ask for a fresh login (select_account: the login form is where an account is chosen).
const LOGIN_PROMPTS: readonly Prompt[] = ['login', 'select_account']

/**
 * The authorization request again as a query string, for the login page's `next`. Without
 * what asked for the fresh login (prompt=login, max_age): the login about to happen satisfies
 * them, and keeping them would send the user back to the login page forever.
 */
function authorizeUrl(raw: RawParams): string {
  const query = new URLSearchParams()
  for (const name of AUTHORIZE_PARAMS) {
    if (name === 'max_age') continue
    for (const value of raw[name] ?? []) {
      if (name !== 'prompt') query.append(name, value)
      else {
        const kept = value.split(' ').filter((prompt) => prompt !== '' && !LOGIN_PROMPTS.includes(prompt as Prompt))
        if (kept.length > 0) query.append(name, kept.join(' '))
      }
    }
  }
  return `${ENDPOINTS.authorization}?${query}`
}

/**
 * OIDC Core §3.1.2.1: prompt=login/select_account, or a login older than max_age, asks for a new one.
 * A pushed request cannot lose those parameters on its way back from the login page (they are
 * stored, not in the URL): a login made after the push satisfies them.
 */
function needsLogin(request: AuthorizeRequest, session: Session | null): boolean {
  if (!session) return true
  if (request.pushed && session.authTime >= request.pushed.pushedAt) return false
  if (request.prompt.some((prompt) => LOGIN_PROMPTS.includes(prompt))) return true
  return request.maxAge !== null && nowSeconds() - session.authTime > request.maxAge
}

/** The login page, back to this request after; OIDC Core §3.1.2.1 login_hint prefills the username. */
function toLoginFor(c: Context<AppEnv>, raw: RawParams, request: AuthorizeRequest): Response {
  return toLogin(c, authorizeUrl(raw), { loginHint: request.loginHint })
}

/**
 * `reads`: where the request's facts come from. A GET reads a replica; if it is to mint a code
 * (consent skipped), it runs again on the primary first, so no code is minted from a replica's
 * stale view of the client, the session or an earlier grant.
 */
async function authorize(
  c: Context<AppEnv>,
  raw: RawParams,
  decision: string | undefined,
  reads: Db = db(c),
): Promise<Response> {
  // Before anything is minted: every response names the issuer, which must be known (ISSUER).
  let issuerId: string
  try {
    issuerId = issuer(c)
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    return errorPage(c, error.status, { title: 'Unavailable', error: error.code, description: error.message })
  }
  const settings = config(c)
  const documents = metadataDocumentContext(c)
  const storage = { reads, primary: db(c), format: tokenFormat(c) }
  const outcome = await validateAuthorizeRequest(storage, settings, issuerId, raw, (clientId, seen) =>
    resolveUrlClient(documents, clientId, seen),
  )
  if (outcome.kind === 'page') {
    const page = { title: 'Authorization failed', error: outcome.error, description: outcome.description }
    return errorPage(c, outcome.status ?? 400, page, outcome.headers)
  }
  if (outcome.kind === 'redirect') {
    return answerOnce(c, outcome.pushed, () => respond(c, outcome.redirectUri, outcome.params))
  }
  const { request } = outcome

  const fail = (error: AuthorizeErrorCode, description: string) =>
    answerOnce(c, request.pushed, () =>
      respond(c, request.redirectUri, { error, error_description: description, state: request.state }),
    )
  const session = await readSession(c, reads)
  // The consent form's post comes right after the checks below passed on the page it was sent from.
  if (decision === undefined && needsLogin(request, session)) {
    // OIDC Core §3.1.2.6: prompt=none never shows a page.
    if (request.prompt.includes('none')) return fail('login_required', 'The user must log in.')
    return toLoginFor(c, raw, request)
  }
  if (!session) return toLoginFor(c, raw, request)

  if (decision !== undefined && decision !== APPROVE) return fail('access_denied', 'The user denied the request.')
  // OIDC Core §3.1.2.1 prompt=consent: ask again even when an earlier approval would do.
  const approved =
    decision === APPROVE ||
    (!request.prompt.includes('consent') &&
      (await maySkipConsent(tokenStore(c), reads !== db(c), request, session.user.id)))
  if (!approved && request.prompt.includes('none')) return fail('consent_required', 'The user must approve.')
  if (approved) {
    if (reads !== db(c)) return authorize(c, raw, decision)
    return answerOnce(c, request.pushed, async () => {
      const code = await createAuthorizationCode(tokenStore(c), {
        applicationId: request.application.id,
        userId: session.user.id,
        redirectUri: request.redirectUri,
        scopes: request.scopes,
        codeChallenge: request.codeChallenge,
        codeChallengeMethod: request.codeChallengeMethod,
        nonce: request.nonce,
        authTime: session.authTime,
        lifetime: settings.authorizationCodeLifetime,
        audience: codeAudience(request),
      })
      return respond(c, request.redirectUri, { code, state: request.state })
    })
  }

  return renderPrivatePage(
    c,
    <ConsentPage
      applicationName={request.application.name}
      clientHost={isMetadataDocumentClient(request.application) ? new URL(request.application.clientId).host : null}
      username={session.user.username}
      redirectUri={request.redirectUri}
      scopes={request.scopes.map((name) => ({ name, description: settings.scopes[name] ?? name }))}
      resources={request.resources}
      action={ENDPOINTS.authorization}
      fields={consentFields(request)}
    />,
  )
}

/**
 * What the consent form posts back: the request as validated, re-checked on submit; for a pushed
 * request (RFC 9126), only its reference, so the browser never holds parameters it could change.
 */
function consentFields(request: AuthorizeRequest): [name: string, value: string][] {
  if (request.pushed) {
    return [
      ['client_id', request.application.clientId],
      ['request_uri', request.pushed.requestUri],
    ]
  }
  const fields: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', request.application.clientId],
    ['redirect_uri', request.redirectUri],
    ['scope', request.scopes.join(' ')],
  ]
  if (request.state !== undefined) fields.push(['state', request.state])
  if (request.codeChallenge !== '') {
    fields.push(['code_challenge', request.codeChallenge], ['code_challenge_method', request.codeChallengeMethod])
  }
  if (request.nonce !== '') fields.push(['nonce', request.nonce])
  // RFC 8707 §2: one field per resource, as the request sent them.
  for (const resource of request.resources) fields.push(['resource', resource])
  return fields
}

export const authorizePage = (c: Context<AppEnv>) => authorize(c, queryParams(c), undefined, readDb(c))

export const authorizeDecision = async (c: Context<AppEnv>) => {
  const raw = await formParams(c)
  if (!raw) return malformedForm(c)
  return authorize(c, raw, single(raw, 'allow') ?? 'Deny')
}
