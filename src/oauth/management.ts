/**
 * @module
 * The management API router (DRF dialect, although its paths are under /o/): the browser
 * session (never a client's token) and the origin check in front of every route.
 */

import type { SessionEnv } from '../auth/env.ts'
import { sessionOwner } from '../auth/owner.ts'
import { createDrfRouter, drf } from '../http/drf.ts'
import { answerNotFound, answerOtherMethods } from '../http/router.ts'
import * as handlers from './management.handlers.ts'
import * as routes from './management.routes.ts'

const PATHS = ['/o/applications/*', '/o/authorized-tokens/*']

export const managementRouter = createDrfRouter<SessionEnv>(PATHS)

for (const path of PATHS) managementRouter.use(path, sessionOwner())
managementRouter.openapi(routes.listApplicationsRoute, handlers.listApplications)
managementRouter.openapi(routes.registerApplicationRoute, handlers.registerApplication)
managementRouter.openapi(routes.applicationDetailRoute, handlers.applicationDetail)
managementRouter.openapi(routes.updateApplicationRoute, handlers.updateApplication)
managementRouter.openapi(routes.deleteApplicationRoute, handlers.deleteApplication)
managementRouter.openapi(routes.rotateSecretRoute, handlers.rotateSecret)
managementRouter.openapi(routes.listAuthorizedTokensRoute, handlers.listTokens)
managementRouter.openapi(routes.revokeAuthorizedTokenRoute, handlers.revokeToken)
answerOtherMethods(managementRouter, drf)
// /o/applications/abc/ is the management API's own 404 (DRF), not the authorization server's.
answerNotFound(managementRouter, drf, PATHS)
