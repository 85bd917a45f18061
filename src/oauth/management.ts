/**
 * @module
 * The management API router: the browser session (never a client's token) and the origin
 * check in front of every route; DRF-shaped errors.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import { sessionOwner } from '../auth/owner.ts'
import { handleError } from '../lib/errors.ts'
import { answerOtherMethods } from '../lib/method-not-allowed.ts'
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
answerOtherMethods(managementRouter)

// The paths start with /o/, where the global handler answers in the OAuth dialect: this API is DRF's.
managementRouter.onError((error, c) => {
  if (error instanceof HTTPException && error.status < 500) return c.json({ detail: error.message }, error.status)
  return handleError(error, c)
})
