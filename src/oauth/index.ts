/**
 * @module
 * The authorization server's routes under /o/ and its RFC 8414 metadata.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { answerOtherMethods } from '../lib/method-not-allowed.ts'
import { pageMiddleware } from '../lib/pages.tsx'
import { oauthValidationHook } from '../lib/validation.ts'
import type { AppEnv } from '../types.ts'
import { authorizeDecision, authorizePage } from './authorize.handlers.tsx'
import { oauthMethodNotAllowed } from './errors.ts'
import { metadata, metadataRoute } from './metadata.ts'
import { introspect, revokeToken, revokeTokenAlias } from './revocation.handlers.ts'
import { introspectRoute, revokeAliasRoute, revokeRoute } from './revocation.routes.ts'
import { issueToken } from './token.handlers.ts'
import { tokenRoute } from './token.routes.ts'

export const oauthRouter = new OpenAPIHono<AppEnv>({ defaultHook: oauthValidationHook })

oauthRouter.openapi(tokenRoute, issueToken)
oauthRouter.openapi(revokeRoute, revokeToken)
oauthRouter.openapi(revokeAliasRoute, revokeTokenAlias)
oauthRouter.openapi(introspectRoute, introspect)
oauthRouter.openapi(metadataRoute, metadata)
answerOtherMethods(oauthRouter, oauthMethodNotAllowed)

// The browser-facing consent flow: HTML, not part of the JSON API description.
oauthRouter.use('/o/authorize/', ...pageMiddleware)
oauthRouter.get('/o/authorize/', authorizePage)
oauthRouter.post('/o/authorize/', authorizeDecision)
