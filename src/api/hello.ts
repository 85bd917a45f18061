/**
 * @module
 * `GET /api/hello`: DOT's ProtectedResourceView example; any valid token may call it.
 */

import type { RouteHandler } from '@hono/zod-openapi'
import { createRoute, z } from '@hono/zod-openapi'
import type { AppEnv } from '../types.ts'
import { DetailSchema } from './schemas.ts'

export const helloRoute = createRoute({
  method: 'get',
  path: '/hello',
  tags: ['API'],
  summary: 'A protected hello',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'Greeting',
      content: { 'text/plain': { schema: z.string().openapi({ example: 'Hello, OAuth2!' }) } },
    },
    401: {
      description: 'Missing, unknown or expired token',
      content: { 'application/json': { schema: DetailSchema } },
    },
  },
})

export const hello: RouteHandler<typeof helloRoute, AppEnv> = (c) => c.text('Hello, OAuth2!', 200)
