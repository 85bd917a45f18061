/**
 * @module
 * The resource API under /api/ (DRF dialect), every route behind the auth middleware, and DRF's
 * `obtain_auth_token` at /api-token-auth/ (no auth: it is how a key is obtained).
 */
import { authenticate } from '../auth/authenticate.ts'
import { createDrfRouter, drf } from '../http/drf.ts'
import { answerNotFound, answerOtherMethods } from '../http/router.ts'
import type { ApiEnv } from '../types.ts'
import { buildTrigger, buildTriggerRoute } from './build-trigger.ts'
import { hello, helloRoute } from './hello.ts'
import { obtainApiKeyHandler } from './obtain-api-key.handlers.ts'
import { obtainApiKeyRoute } from './obtain-api-key.routes.ts'
import { createUserHandler, listUsersHandler } from './users.handlers.ts'
import { createUserRoute, listUsersRoute } from './users.routes.ts'

// Mounted at /api: `*` is its own paths only.
export const apiRouter = createDrfRouter<ApiEnv>(['*'])

apiRouter.use('*', authenticate())
apiRouter.openapi(helloRoute, hello)
apiRouter.openapi(listUsersRoute, listUsersHandler)
apiRouter.openapi(createUserRoute, createUserHandler)
apiRouter.openapi(buildTriggerRoute, buildTrigger)
answerOtherMethods(apiRouter, drf)
answerNotFound(apiRouter, drf, ['*'])

export const obtainApiKeyRouter = createDrfRouter([obtainApiKeyRoute.path])

obtainApiKeyRouter.openapi(obtainApiKeyRoute, obtainApiKeyHandler)
answerOtherMethods(obtainApiKeyRouter, drf)
