/**
 * @module
 * The resource API under /api/ (DRF dialect), every route behind the auth middleware, and DRF's
 * `obtain_auth_token` at /api-token-auth/ (no auth on POST: it is how a key is obtained; DELETE
 * revokes the key presented).
 */
import { authenticate } from '../auth/authenticate.ts'
import type { ApiEnv } from '../auth/env.ts'
import { createDrfRouter, drf } from '../http/drf.ts'
import { answerNotFound, answerOtherMethods } from '../http/router.ts'
import { buildTrigger, buildTriggerRoute } from './build-trigger.ts'
import { hello, helloRoute } from './hello.ts'
import { obtainApiKeyHandler, revokeApiKeyHandler } from './obtain-api-key.handlers.ts'
import { obtainApiKeyRoute, revokeApiKeyRoute } from './obtain-api-key.routes.ts'
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

// Authenticated only on DELETE (its route's middleware): POST is how a key is obtained.
export const obtainApiKeyRouter = createDrfRouter([obtainApiKeyRoute.path])

obtainApiKeyRouter.openapi(obtainApiKeyRoute, obtainApiKeyHandler)
obtainApiKeyRouter.openapi(revokeApiKeyRoute, revokeApiKeyHandler)
answerOtherMethods(obtainApiKeyRouter, drf)
