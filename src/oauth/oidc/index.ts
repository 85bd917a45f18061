/**
 * @module
 * The OpenID Provider's routes: discovery, JWKS and UserInfo (OAuth dialect), readable
 * cross-origin (browser clients fetch them; none relies on cookies), and the RP-Initiated
 * Logout page (HTML dialect).
 */
import { cors } from 'hono/cors'
import { createHtmlRouter, html } from '../../http/html.tsx'
import { createOAuthRouter, oauth } from '../../http/oauth.ts'
import { answerOtherMethods } from '../../http/router.ts'
import { ENDPOINTS, ISSUER_PATH_FORMS } from '../metadata.ts'
import { confirmationFromThisSite, logoutForm, logoutPage } from './logout.handlers.tsx'
import { getJwks, getOpenidConfiguration, getOpenidConfigurationAtPath, getUserinfo } from './oidc.handlers.ts'
import { jwksRoute, openidConfigurationRoute, userinfoGetRoute, userinfoPostRoute } from './oidc.routes.ts'

// Discovery where an issuer with a path has it (DOT's `<origin>/o`): see ../metadata.ts.
const PATH_FORMS = [
  ISSUER_PATH_FORMS.openidConfiguration,
  ISSUER_PATH_FORMS.openidConfigurationAppended,
  ISSUER_PATH_FORMS.openidConfigurationAppendedSlash,
]
const JSON_PATHS = [ENDPOINTS.openidConfiguration, ENDPOINTS.jwks, ENDPOINTS.userinfo, ...PATH_FORMS]

export const oidcRouter = createOAuthRouter(JSON_PATHS)

for (const path of JSON_PATHS) {
  oidcRouter.use(path, cors({ origin: '*', allowHeaders: ['Authorization'], maxAge: 3600 }))
}
oidcRouter.openapi(openidConfigurationRoute, getOpenidConfiguration)
for (const path of PATH_FORMS) oidcRouter.get(path, getOpenidConfigurationAtPath)
oidcRouter.openapi(jwksRoute, getJwks)
oidcRouter.openapi(userinfoGetRoute, getUserinfo)
oidcRouter.openapi(userinfoPostRoute, getUserinfo)
answerOtherMethods(oidcRouter, oauth)

/**
 * RP-Initiated Logout: an HTML page, not part of the JSON API description. No origin check on
 * the route itself (relying parties post to it from their own sites): the handler applies it
 * to its confirmation form.
 */
export const logoutRouter = createHtmlRouter([ENDPOINTS.endSession])

logoutRouter.get(ENDPOINTS.endSession, logoutPage)
logoutRouter.post(ENDPOINTS.endSession, confirmationFromThisSite, logoutForm)
answerOtherMethods(logoutRouter, html)
