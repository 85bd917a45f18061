/**
 * @module
 * The authorization server's routes under /o/.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { oauthValidationHook } from '../lib/validation.ts'
import type { AppEnv } from '../types.ts'
import { issueToken } from './token.handlers.ts'
import { tokenRoute } from './token.routes.ts'

export const oauthRouter = new OpenAPIHono<AppEnv>({ defaultHook: oauthValidationHook })

oauthRouter.openapi(tokenRoute, issueToken)
