/**
 * @module
 * `GET|POST /o/logout/`: RP-Initiated Logout 1.0 (DOT's OIDC_RP_INITIATED_LOGOUT_ENABLED).
 * Relying parties send the user here from their own site, so a POST may come cross-origin;
 * only the confirmation form (asked when the request does not prove who it is for) must be
 * posted from this site, and `confirm` in a GET's query counts for nothing: a link must
 * never log anyone out.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { z } from 'zod'
import { endSession, readSession } from '../../accounts/session.ts'
import { OAuthError } from '../../http/oauth.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import { formParams, queryParams, type RawParams, single } from '../../lib/forms.ts'
import { db, signingKeys } from '../../lib/request-context.ts'
import { ENDPOINTS } from '../../oauth/metadata.ts'
import { validateLogoutRequest } from '../../oauth/oidc/logout.ts'
import { issuer } from '../../resource/issuer.ts'
import type { AppEnv } from '../../types.ts'
import { errorPage, malformedForm, renderPrivatePage } from '../kit/page.tsx'
import { fromThisSite } from '../kit/session.ts'
import { ConfirmLogoutPage, LOGOUT_CONFIRMED, LoggedOutPage } from './views.tsx'

const param = z.string().optional()

/** RP-Initiated Logout 1.0 §2 request parameters (plus this page's own confirmation field). */
const LogoutRequestSchema = z.object({
  id_token_hint: param,
  client_id: param,
  post_logout_redirect_uri: param,
  state: param,
  confirm: param,
})
const LOGOUT_PARAMS = Object.keys(LogoutRequestSchema.shape) as (keyof z.infer<typeof LogoutRequestSchema>)[]

/** `fromForm`: a POST, the only request whose `confirm` counts (a GET is a link anyone can send). */
async function rpLogout(c: Context<AppEnv>, raw: RawParams, fromForm: boolean): Promise<Response> {
  const repeated = LOGOUT_PARAMS.filter((name) => (raw[name]?.length ?? 0) > 1)
  const request = LogoutRequestSchema.parse(Object.fromEntries(LOGOUT_PARAMS.map((name) => [name, single(raw, name)])))
  let logout: Awaited<ReturnType<typeof validateLogoutRequest>>
  try {
    if (repeated.length > 0) throw new OAuthError('invalid_request', `Repeated parameter: ${repeated.join(', ')}.`)
    logout = await validateLogoutRequest(db(c), await signingKeys(c), issuer(c), request)
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    // Never redirect on a bad request: the target is what could not be trusted (§3).
    return errorPage(
      c,
      400,
      { title: 'Logout failed', error: error.code, description: error.message },
      NO_STORE_HEADERS,
    )
  }

  const session = await readSession(c)
  // §2/§4: without an id_token_hint for the logged-in user, the user confirms first (a bare
  // link must not log anyone out), and that confirmation must come from this site.
  if (session && logout.subject !== String(session.user.id)) {
    if (!fromForm || request.confirm !== LOGOUT_CONFIRMED) {
      const fields: Record<string, string> = {}
      if (logout.clientId) fields.client_id = logout.clientId
      if (request.post_logout_redirect_uri) fields.post_logout_redirect_uri = request.post_logout_redirect_uri
      if (request.state) fields.state = request.state
      return renderPrivatePage(
        c,
        <ConfirmLogoutPage action={ENDPOINTS.endSession} username={session.user.username} fields={fields} />,
      )
    }
    // The confirmation came from this site: confirmationFromThisSite has checked its origin.
  }
  // Ends every copy of the session (src/accounts/session.ts), not only this browser's cookie.
  if (session) await endSession(c, session)
  if (logout.redirectTo) return c.body(null, 302, { Location: logout.redirectTo, ...NO_STORE_HEADERS })
  return renderPrivatePage(c, <LoggedOutPage />)
}

const originCheck = fromThisSite()

/**
 * Middleware for the POST: a form carrying the confirmation field must be posted from this site
 * (src/web/kit/session.ts); the relying parties' own cross-origin POSTs carry none.
 */
export const confirmationFromThisSite: MiddlewareHandler<AppEnv> = async (c, next) => {
  // hono/combine's conditions are synchronous; reading the form is not (parseBody caches it).
  if ((await formParams(c))?.confirm === undefined) return next()
  return originCheck(c, next)
}

export const rpLogoutPage = (c: Context<AppEnv>) => rpLogout(c, queryParams(c), false)
export const logoutForm = async (c: Context<AppEnv>) => {
  const raw = await formParams(c)
  return raw ? rpLogout(c, raw, true) : malformedForm(c)
}
