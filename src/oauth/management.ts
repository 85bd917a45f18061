/**
 * @module
 * The management API router: session or owner's Bearer token in front of every route;
 * DRF-shaped errors.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { sessionOrBearer } from '../auth/owner.ts'
import { drfValidationHook } from '../lib/validation.ts'
import type { AppEnv } from '../types.ts'
import * as handlers from './management.handlers.ts'
import * as routes from './management.routes.ts'

export const managementRouter = new OpenAPIHono<AppEnv>({ defaultHook: drfValidationHook })

for (const path of ['/o/applications/*', '/o/authorized-tokens/*']) {
  managementRouter.use(path, sessionOrBearer())
}
managementRouter.openapi(routes.listApplicationsRoute, handlers.listApplications)
managementRouter.openapi(routes.registerApplicationRoute, handlers.registerApplication)
managementRouter.openapi(routes.applicationDetailRoute, handlers.applicationDetail)
managementRouter.openapi(routes.updateApplicationRoute, handlers.updateApplication)
managementRouter.openapi(routes.deleteApplicationRoute, handlers.deleteApplication)
managementRouter.openapi(routes.rotateSecretRoute, handlers.rotateSecret)
managementRouter.openapi(routes.listAuthorizedTokensRoute, handlers.listTokens)
managementRouter.openapi(routes.revokeAuthorizedTokenRoute, handlers.revokeToken)
