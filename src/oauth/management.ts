/**
 * @module
 * The management API router: the browser session (never a client's token) and the origin
 * check in front of every route; DRF-shaped errors.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { sessionOwner } from '../auth/owner.ts'
import { drfValidationHook } from '../lib/validation.ts'
import type { AppEnv } from '../types.ts'
import * as handlers from './management.handlers.ts'
import * as routes from './management.routes.ts'

export const managementRouter = new OpenAPIHono<AppEnv>({ defaultHook: drfValidationHook })

for (const path of ['/o/applications/*', '/o/authorized-tokens/*']) {
  managementRouter.use(path, sessionOwner())
}
managementRouter.openapi(routes.listApplicationsRoute, handlers.listApplications)
managementRouter.openapi(routes.registerApplicationRoute, handlers.registerApplication)
managementRouter.openapi(routes.applicationDetailRoute, handlers.applicationDetail)
managementRouter.openapi(routes.updateApplicationRoute, handlers.updateApplication)
managementRouter.openapi(routes.deleteApplicationRoute, handlers.deleteApplication)
managementRouter.openapi(routes.rotateSecretRoute, handlers.rotateSecret)
managementRouter.openapi(routes.listAuthorizedTokensRoute, handlers.listTokens)
managementRouter.openapi(routes.revokeAuthorizedTokenRoute, handlers.revokeToken)
