/**
 * @module
 * The OpenID Provider's routes: discovery, JWKS and UserInfo (OAuth dialect), readable
 * cross-origin (browser clients fetch them; none relies on cookies). The RP-Initiated Logout
 * page is the browser's (src/web/account/); its request's checks are ./logout.ts.
 */
import { cors } from 'hono/cors'
import { createOAuthRouter, oauth } from '../../http/oauth.ts'
import { answerOtherMethods } from '../../http/router.ts'
import { ENDPOINTS, ISSUER_PATH_FORMS } from '../metadata.ts'
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
