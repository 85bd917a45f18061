/**
 * @module
 * The OpenID Provider's routes: discovery, JWKS and UserInfo, readable cross-origin (browser
 * clients fetch them; none relies on cookies).
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { cors } from 'hono/cors'
import { oauthValidationHook } from '../../lib/validation.ts'
import type { AppEnv } from '../../types.ts'
import { ENDPOINTS } from '../metadata.ts'
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
