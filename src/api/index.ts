/**
 * @module
 * The resource API under /api/, every route behind the auth middleware, and DRF's
 * `obtain_auth_token` at /api-token-auth/ (no auth: it is how a key is obtained).
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { authenticate } from '../auth/authenticate.ts'
import { answerOtherMethods } from '../lib/method-not-allowed.ts'
import { drfValidationHook } from '../lib/validation.ts'
import type { AppEnv } from '../types.ts'
import { buildTrigger, buildTriggerRoute } from './build-trigger.ts'
import { hello, helloRoute } from './hello.ts'
import { obtainApiKeyHandler } from './token-auth.handlers.ts'
import { obtainApiKeyRoute } from './token-auth.routes.ts'
import { createUserHandler, listUsersHandler } from './users.handlers.ts'
import { createUserRoute, listUsersRoute } from './users.routes.ts'

export const apiRouter = new OpenAPIHono<AppEnv>({ defaultHook: drfValidationHook })

apiRouter.use('*', authenticate())
apiRouter.openapi(helloRoute, hello)
apiRouter.openapi(listUsersRoute, listUsersHandler)
apiRouter.openapi(createUserRoute, createUserHandler)
apiRouter.openapi(buildTriggerRoute, buildTrigger)
answerOtherMethods(apiRouter)

export const apiTokenAuthRouter = new OpenAPIHono<AppEnv>({ defaultHook: drfValidationHook })

apiTokenAuthRouter.openapi(obtainApiKeyRoute, obtainApiKeyHandler)
answerOtherMethods(apiTokenAuthRouter)
