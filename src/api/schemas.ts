/**
 * @module
 * Response shapes shared by the resource API routes (DRF's).
 */
import { z } from '@hono/zod-openapi'

export const DetailSchema = z
  .object({ detail: z.string().openapi({ example: 'Authentication credentials were not provided.' }) })
  .openapi('Detail')
