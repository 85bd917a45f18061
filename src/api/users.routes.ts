/**
 * @module
 * `/api/users/`: the tutorial's UserListCreateView (DRF ListCreateAPIView, IsAuthenticated,
 * PageNumberPagination, django-filter on email and username) with DOT's TokenHasReadWriteScope.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { requireReadWriteScope, requireUser } from '../auth/permissions.ts'
import { jsonResponse } from '../http/openapi.ts'
import {
  API_SECURITY,
  AUTH_RESPONSES,
  DetailSchema,
  documentedField,
  FieldErrorsSchema,
  FORBIDDEN_RESPONSE,
  jsonOrFormBody,
} from './schemas.ts'

const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    is_staff: z.boolean(),
    date_joined: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('User')

const UserPageSchema = z
  .object({
    count: z.number().int(),
    next: z.string().nullable().openapi({ example: 'https://example.com/api/users/?page=3' }),
    previous: z.string().nullable().openapi({ example: 'https://example.com/api/users/' }),
    results: z.array(UserSchema),
  })
  .openapi('PaginatedUserList')

const filter = (description: string) => z.string().optional().openapi({ description })

const UserListQuerySchema = z.object({
  page: z.string().optional().openapi({
    description: 'A page number (1-based) or `last`; past the last page: 404 "Invalid page."',
    example: '1',
  }),
  email: filter('Exact email; empty means no filter'),
  username: filter('Exact username; empty means no filter'),
})

const NewUserSchema = z
  .object({
    username: documentedField('Required; at most 150 letters, digits and @/./+/-/_; unique'),
    email: documentedField('Optional; a valid address'),
    password: documentedField('Required; stored as a Django argon2id hash'),
  })
  .openapi('NewUser')

const guards = [requireUser(), requireReadWriteScope()]

export const listUsersRoute = createRoute({
  method: 'get',
  path: '/users/',
  tags: ['Users'],
  summary: 'List users (needs a user and the read scope)',
  security: API_SECURITY,
  middleware: guards,
  request: { query: UserListQuerySchema },
  responses: {
    200: jsonResponse('One page of users, by id', UserPageSchema),
    ...AUTH_RESPONSES,
    ...FORBIDDEN_RESPONSE,
    404: jsonResponse('Invalid page.', DetailSchema),
  },
})

export const createUserRoute = createRoute({
  method: 'post',
  path: '/users/',
  tags: ['Users'],
  summary: 'Create a user (needs a user and the write scope)',
  security: API_SECURITY,
  middleware: guards,
  request: {
    body: jsonOrFormBody(NewUserSchema),
  },
  responses: {
    201: jsonResponse('The created user', UserSchema),
    400: jsonResponse(
      'Every invalid field with its messages, or a malformed header',
      z.union([FieldErrorsSchema, DetailSchema]),
    ),
    401: AUTH_RESPONSES[401],
    ...FORBIDDEN_RESPONSE,
  },
})
