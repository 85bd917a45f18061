/**
 * @module
 * The resource API under /api/, every route behind the auth middleware.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { authenticate } from '../auth/authenticate.ts'
import { drfValidationHook } from '../lib/validation.ts'
import type { AppEnv } from '../types.ts'
import { hello, helloRoute } from './hello.ts'

export const apiRouter = new OpenAPIHono<AppEnv>({ defaultHook: drfValidationHook })

apiRouter.use('*', authenticate())
apiRouter.openapi(helloRoute, hello)
