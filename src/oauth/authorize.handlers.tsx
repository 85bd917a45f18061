/**
 * @module
 * `GET|POST /o/authorize/` (RFC 6749 §4.1.1–§4.1.2): validate, require a login, ask for
 * consent (or skip it), then redirect with a code or an error.
 */
import type { Context } from 'hono'
import { readSession } from '../accounts/session.ts'
import { formParams, queryParams, type RawParams, single } from '../lib/forms.ts'
import { malformedFormPage } from '../lib/pages.tsx'
import { config, db } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { ConsentPage } from '../views/consent.tsx'
import { ErrorPage } from '../views/error.tsx'
import { createAuthorizationCode } from './authorization-codes.ts'
import {
  AUTHORIZE_PARAMS,
  type AuthorizeRequest,
  errorRedirect,
  hasLiveApproval,
  redirectWith,
  validateAuthorizeRequest,
} from './authorize.ts'
import { NO_STORE_HEADERS } from './errors.ts'

const APPROVE = 'Approve'

function redirect(c: Context<AppEnv>, location: string): Response {
  return c.body(null, 302, { Location: location, ...NO_STORE_HEADERS })
}

/** The authorization request again as a query string, for the login page's `next`. */
function authorizeUrl(raw: RawParams): string {
  const query = new URLSearchParams()
  for (const name of AUTHORIZE_PARAMS) for (const value of raw[name] ?? []) query.append(name, value)
  return `/o/authorize/?${query}`
}

async function authorize(c: Context<AppEnv>, raw: RawParams, decision: string | undefined): Promise<Response> {
  const settings = config(c)
  const outcome = await validateAuthorizeRequest(db(c), settings, raw)
  if (outcome.kind === 'page') {
    return c.html(
      <ErrorPage title="Authorization failed" error={outcome.error} description={outcome.description} />,
      400,
    )
  }
  if (outcome.kind === 'redirect') return redirect(c, outcome.location)
  const { request } = outcome

  const session = await readSession(c)
  if (!session) return redirect(c, `/accounts/login/?${new URLSearchParams({ next: authorizeUrl(raw) })}`)

  if (decision !== undefined && decision !== APPROVE) {
    const denied = errorRedirect(request.redirectUri, 'access_denied', 'The user denied the request.', request.state)
    return redirect(c, denied.kind === 'redirect' ? denied.location : request.redirectUri)
  }
  const approved =
    decision === APPROVE ||
    request.application.skipAuthorization ||
    (await hasLiveApproval(db(c), session.user.id, request.application.id, request.scopes))
  if (approved) {
    const code = await createAuthorizationCode(db(c), {
      applicationId: request.application.id,
      userId: session.user.id,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      nonce: request.nonce,
      authTime: session.authTime,
      lifetime: settings.authorizationCodeLifetime,
    })
    return redirect(c, redirectWith(request.redirectUri, { code, state: request.state }))
  }

  return c.html(
    <ConsentPage
      applicationName={request.application.name}
      username={session.user.username}
      scopes={request.scopes.map((name) => ({ name, description: settings.scopes[name] ?? name }))}
      fields={consentFields(request)}
    />,
    200,
    NO_STORE_HEADERS,
  )
}

/** What the consent form posts back: the request as validated, re-checked on submit. */
function consentFields(request: AuthorizeRequest): Record<string, string> {
  const fields: Record<string, string> = {
    response_type: 'code',
    client_id: request.application.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scopes.join(' '),
  }
  if (request.state !== undefined) fields.state = request.state
  if (request.codeChallenge !== '') {
    fields.code_challenge = request.codeChallenge
    fields.code_challenge_method = request.codeChallengeMethod
  }
  if (request.nonce !== '') fields.nonce = request.nonce
  return fields
}

export const authorizePage = (c: Context<AppEnv>) => authorize(c, queryParams(c), undefined)

export const authorizeDecision = async (c: Context<AppEnv>) => {
  const raw = await formParams(c)
  if (!raw) return malformedFormPage(c)
  return authorize(c, raw, single(raw, 'allow') ?? 'Deny')
}
