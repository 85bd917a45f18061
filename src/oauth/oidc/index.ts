/**
 * @module
 * The OpenID Provider's routes: discovery, JWKS and UserInfo (OAuth dialect), readable
 * cross-origin (browser clients fetch them; none relies on cookies). The RP-Initiated Logout
 * page is the browser's (src/web/account/); its request's checks are ./logout.ts.
 */
import { cors } from 'hono/cors'
import { createOAuthRouter, oauth } from '../../http/oauth.ts'
import { answerOtherMethods } from '../../http/router.ts'
import { ENDPOINTS, ISSUER_PATH_FORMS, isAppendedForm } from '../metadata.ts'
import { getJwks, getOpenidConfiguration, getOpenidConfigurationAtPath, getUserinfo } from './oidc.handlers.ts'
import { jwksRoute, openidConfigurationRoute, userinfoGetRoute, userinfoPostRoute } from './oidc.routes.ts'

// Discovery where an issuer with a path has it (DOT's `<origin>/o`): see ../metadata.ts.
const JSON_PATHS = [
  ENDPOINTS.openidConfiguration,
  ENDPOINTS.jwks,
  ENDPOINTS.userinfo,
  ISSUER_PATH_FORMS.openidConfiguration,
]
const readableAnywhere = cors({ origin: '*', allowHeaders: ['Authorization'], maxAge: 3600 })

export const oidcRouter = createOAuthRouter(JSON_PATHS)

for (const path of JSON_PATHS) oidcRouter.use(path, readableAnywhere)
// The appended form (`<issuer path>/.well-known/openid-configuration`) has no route pattern
// (../metadata.ts says why): this middleware, on every path, answers it as the route would.
oidcRouter.use('*', async (c, next) => {
  if (!isAppendedForm(c.req.path)) return next()
  return readableAnywhere(c, async () => {
    const read = c.req.method === 'GET' || c.req.method === 'HEAD'
    c.res = read ? await getOpenidConfigurationAtPath(c, next) : await oauth.methodNotAllowed(c, 'GET, HEAD')
  })
})
oidcRouter.openapi(openidConfigurationRoute, getOpenidConfiguration)
oidcRouter.get(ISSUER_PATH_FORMS.openidConfiguration, getOpenidConfigurationAtPath)
oidcRouter.openapi(jwksRoute, getJwks)
oidcRouter.openapi(userinfoGetRoute, getUserinfo)
oidcRouter.openapi(userinfoPostRoute, getUserinfo)
answerOtherMethods(oidcRouter, oauth)
