/**
 * @module
 * OpenAPI response objects, written one way by every route module (description first, as the
 * OpenAPI Response Object reads).
 */
import type { z } from '@hono/zod-openapi'

/** A JSON response of `schema`, documented as `description`. */
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
})
