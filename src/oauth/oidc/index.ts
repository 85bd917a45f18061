/**
 * @module
 * The OpenID Provider's routes: discovery, JWKS and UserInfo, readable cross-origin (browser
 * clients fetch them; none relies on cookies), and the RP-Initiated Logout page.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { cors } from 'hono/cors'
import { formBodyLimit, pageHeaders } from '../../lib/pages.tsx'
import { oauthValidationHook } from '../../lib/validation.ts'
import type { AppEnv } from '../../types.ts'
import { ENDPOINTS } from '../metadata.ts'
import { logoutForm, logoutPage } from './logout.handlers.tsx'
import { getJwks, getOpenidConfiguration, getUserinfo } from './oidc.handlers.ts'
import { jwksRoute, openidConfigurationRoute, userinfoGetRoute, userinfoPostRoute } from './oidc.routes.ts'

export const oidcRouter = new OpenAPIHono<AppEnv>({ defaultHook: oauthValidationHook })

for (const path of [ENDPOINTS.openidConfiguration, ENDPOINTS.jwks, ENDPOINTS.userinfo]) {
  oidcRouter.use(path, cors({ origin: '*', allowHeaders: ['Authorization'], maxAge: 3600 }))
}
oidcRouter.openapi(openidConfigurationRoute, getOpenidConfiguration)
oidcRouter.openapi(jwksRoute, getJwks)
oidcRouter.openapi(userinfoGetRoute, getUserinfo)
oidcRouter.openapi(userinfoPostRoute, getUserinfo)

// RP-Initiated Logout: an HTML page, not part of the JSON API description. No origin check on
// the route itself (relying parties post to it from their own sites): the handler applies it
// to its confirmation form.
oidcRouter.use(ENDPOINTS.endSession, pageHeaders, formBodyLimit)
oidcRouter.get(ENDPOINTS.endSession, logoutPage)
oidcRouter.post(ENDPOINTS.endSession, logoutForm)
