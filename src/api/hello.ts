/**
 * @module
 * `GET /api/hello`: DOT's ProtectedResourceView example; any valid token may call it,
 * with or without a user, whatever its scopes.
 */

import type { RouteHandler } from '@hono/zod-openapi'
import { createRoute, z } from '@hono/zod-openapi'
import type { ApiEnv } from '../auth/env.ts'
import { API_SECURITY, AUTH_RESPONSES } from './schemas.ts'

/** DOT's ProtectedResourceView answer; the MCP endpoint's `hello` tool answers the same. */
export const HELLO = 'Hello, OAuth2!'

export const helloRoute = createRoute({
  method: 'get',
  path: '/hello',
  tags: ['API'],
  summary: 'A protected hello',
  security: API_SECURITY,
  responses: {
    200: {
      description: 'Greeting',
      content: { 'text/plain': { schema: z.string().openapi({ example: HELLO }) } },
    },
    ...AUTH_RESPONSES,
  },
})

// No explicit 200: hono then answers with a plain `new Response(text)` instead of building headers.
export const hello: RouteHandler<typeof helloRoute, ApiEnv> = (c) => c.text(HELLO)
