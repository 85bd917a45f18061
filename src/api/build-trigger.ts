/**
 * @module
 * `POST /api/build-trigger/`: the DRF tutorial's BuildTrigger view. Any authenticated user may
 * trigger it with a `Token` key, or with a Bearer token that has the `write` scope.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { createRoute } from '@hono/zod-openapi'
import type { ApiEnv } from '../auth/env.ts'
import { requireScopes, requireUser } from '../auth/permissions.ts'
import { API_SECURITY, AUTH_RESPONSES, FORBIDDEN_RESPONSE } from './schemas.ts'

export const buildTriggerRoute = createRoute({
  method: 'post',
  path: '/build-trigger/',
  tags: ['API'],
  summary: 'Trigger a build (needs a user; Bearer tokens need the write scope)',
  security: API_SECURITY,
  middleware: [requireUser(), requireScopes('write')],
  responses: {
    200: { description: 'Triggered; empty body' },
    ...AUTH_RESPONSES,
    ...FORBIDDEN_RESPONSE,
  },
})

export const buildTrigger: RouteHandler<typeof buildTriggerRoute, ApiEnv> = (c) => c.body(null, 200)
