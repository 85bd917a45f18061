/**
 * @module
 * Live API documentation: `GET /openapi.json` (OpenAPI 3.1 generated from the route definitions)
 * and `GET /docs` (Swagger UI, ./swagger-ui.ts). The page offers three ways to authenticate — the
 * OAuth2 password flow against /o/token/, a pasted Bearer token, a DRF `Token` key — so a person
 * can call protected endpoints from it.
 */

import type { OpenAPIHono } from '@hono/zod-openapi'
import { config } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { createHtmlRouter } from '../web/kit/dialect.tsx'
import { SITE_PATHS } from '../web/kit/paths.ts'
import { mountSwaggerUi } from './swagger-ui.ts'

const OPENAPI_PATH = '/openapi.json'

/** The password flow's scopes are the configured SCOPES, filled in per request. */
const oauth2Scheme = {
  type: 'oauth2' as const,
  description: 'Resource owner password credentials (RFC 6749 §4.3): username, password, client_id, client_secret.',
  flows: { password: { tokenUrl: '/o/token/', refreshUrl: '/o/token/', scopes: {} as Record<string, string> } },
}

/**
 * The router of the documentation (HTML dialect), describing every route of `app`. No guard: its
 * pages set their own headers (./swagger-ui.ts) and nothing here reads a body.
 */
export function createDocsRouter(app: OpenAPIHono<AppEnv>): OpenAPIHono<AppEnv> {
  const router = createHtmlRouter([])
  const registry = app.openAPIRegistry
  registry.registerComponent('securitySchemes', 'oauth2', oauth2Scheme)
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An OAuth2 access token (`eat_…`) from /o/token/.',
  })
  registry.registerComponent('securitySchemes', 'tokenKey', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'A DRF `Token` key: enter `Token <40 hex characters>` (from /api-token-auth/).',
  })
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-eot_session',
    description: `The browser login session from ${SITE_PATHS.login} (\`eot_session\` on http://localhost).`,
  })
  registry.registerComponent('securitySchemes', 'clientBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'OAuth2 client authentication (RFC 6749 §2.3.1): client_id and client_secret.',
  })

  router.get(OPENAPI_PATH, (c) => {
    oauth2Scheme.flows.password.scopes = config(c).scopes
    const document = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Edge OAuth Toolkit',
        version: '0.1.0',
        description: 'django-oauth-toolkit + Django REST framework as one Cloudflare Worker.',
      },
      servers: [{ url: new URL(c.req.url).origin }],
    })
    return c.json(document)
  })
  mountSwaggerUi(router, OPENAPI_PATH)
  return router
}
