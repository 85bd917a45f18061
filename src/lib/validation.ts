/**
 * @module
 * Validation hooks for @hono/zod-openapi routers: a failed schema becomes this project's
 * error shape instead of the library's default body.
 */
import type { Hook } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { ZodError } from 'zod'
import { OAuthError, oauthErrorResponse } from '../oauth/errors.ts'
import type { AppEnv } from '../types.ts'

type ValidationFailure = { success: false; error: ZodError; data: unknown }

function describeIssue(issue: ZodError['issues'][number], data: unknown): string {
  const name = issue.path.join('.') || 'body'
  const value = issue.path.reduce<unknown>(
    (current, key) =>
      current && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined,
    data,
  )
  // RFC 6749 §3.1/§3.2: request parameters must not be included more than once.
  if (Array.isArray(value)) return `Repeated parameter: ${name}.`
  if (value === undefined) return `Missing parameter: ${name}.`
  return `Invalid parameter: ${name}: ${issue.message}`
}

/** RFC 6749 §5.2 `invalid_request` for the /o/* endpoints. */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route of a router
export const oauthValidationHook: Hook<any, AppEnv, any, any> = (result, c: Context<AppEnv>) => {
  if (result.success) return
  const failure = result as unknown as ValidationFailure
  const description = failure.error.issues.map((issue) => describeIssue(issue, failure.data)).join(' ')
  return oauthErrorResponse(c, new OAuthError('invalid_request', description))
}

/** DRF's field-error shape `{"field": ["message", ...]}` for the /api/* endpoints. */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route of a router
export const drfValidationHook: Hook<any, AppEnv, any, any> = (result, c: Context<AppEnv>) => {
  if (result.success) return
  const failure = result as unknown as ValidationFailure
  const fields: Record<string, string[]> = {}
  for (const issue of failure.error.issues) {
    const name = issue.path.length > 0 ? issue.path.join('.') : 'non_field_errors'
    const value = issue.path.reduce<unknown>(
      (current, key) =>
        current && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined,
      failure.data,
    )
    const message = value === undefined || value === '' ? 'This field is required.' : issue.message
    fields[name] = [...(fields[name] ?? []), message]
  }
  return c.json(fields, 400)
}
