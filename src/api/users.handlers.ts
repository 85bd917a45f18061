/**
 * @module
 * Thin handlers for `/api/users/`: parse, call src/accounts/, shape DRF's responses.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import { registerUser } from '../accounts/registration.ts'
import { listUsers } from '../accounts/user-list.ts'
import type { ApiEnv } from '../auth/env.ts'
import { parsePage } from '../db/paging.ts'
import type { User } from '../db/schema.ts'
import { DrfError } from '../http/drf.ts'
import { config, readDb } from '../lib/request-context.ts'
import type { createUserRoute, listUsersRoute } from './users.routes.ts'

// DRF's PageNumberPagination.page_query_param.
const PAGE_PARAM = 'page'

/** The public fields of a user: never the password hash. */
function toUserJson(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_staff: user.isStaff,
    date_joined: user.dateJoined.toISOString(),
  }
}

/** DRF's replace_query_param / remove_query_param: page 1 is the URL without `page`. */
function pageUrl(requestUrl: string, page: number): string {
  const url = new URL(requestUrl)
  if (page === 1) url.searchParams.delete(PAGE_PARAM)
  else url.searchParams.set(PAGE_PARAM, String(page))
  return url.toString()
}

export const listUsersHandler: RouteHandler<typeof listUsersRoute, ApiEnv> = async (c) => {
  const query = c.req.valid('query')
  const page = parsePage(query.page)
  // A read-only path: the request's D1 session lets a replica answer (README "D1 read replication").
  const result = page === null ? null : await listUsers(readDb(c), query, page, config(c).pageSize)
  if (!result) throw new DrfError(404, 'Invalid page.')
  return c.json(
    {
      count: result.count,
      next: result.page < result.pageCount ? pageUrl(c.req.url, result.page + 1) : null,
      previous: result.page > 1 ? pageUrl(c.req.url, result.page - 1) : null,
      results: result.rows.map(toUserJson),
    },
    200,
  )
}

export const createUserHandler: RouteHandler<typeof createUserRoute, ApiEnv> = async (c) => {
  const body = { ...c.req.valid('form'), ...c.req.valid('json') }
  // Through the request's D1 session (primary first for a POST), so the response's X-D1-Bookmark
  // lets the client's next read see this user even on a replica.
  const result = await registerUser(readDb(c), body)
  if (!result.ok) return c.json(result.errors, 400)
  return c.json(toUserJson(result.user), 201)
}
