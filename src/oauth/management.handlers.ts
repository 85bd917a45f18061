/**
 * @module
 * Management API handlers: the caller (c.var.auth, set by sessionOwner) sees and changes
 * only what they own; anything else is 404.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { findUserById } from '../accounts/users.ts'
import type { SessionEnv } from '../auth/env.ts'
import type { Application } from '../db/schema.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { parsePk } from '../lib/forms.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import { listAuthorizedTokens } from '../tokens/lists.ts'
import { revokeAuthorizedToken } from '../tokens/revocation.ts'
import { applicationProblems, SKIP_AUTHORIZATION_STAFF_ONLY } from './application-rules.ts'
import {
  createApplication,
  deleteOwnApplication,
  findOwnApplication,
  listOwnApplications,
  rotateClientSecret,
  updateOwnApplication,
} from './applications.ts'
import type {
  applicationDetailRoute,
  deleteApplicationRoute,
  listApplicationsRoute,
  listAuthorizedTokensRoute,
  registerApplicationRoute,
  revokeAuthorizedTokenRoute,
  rotateSecretRoute,
  updateApplicationRoute,
} from './management.routes.ts'

const NOT_FOUND = { detail: 'Not found.' } as const
const STAFF_ONLY = { skip_authorization: [SKIP_AUTHORIZATION_STAFF_ONLY] }

/** The user behind the request: sessionOwner refuses requests without one (SessionEnv). */
function ownerId(c: Context<SessionEnv>): number {
  return c.var.auth.userId
}

async function isStaff(c: Context<SessionEnv>): Promise<boolean> {
  return (await findUserById(db(c), ownerId(c)))?.isStaff ?? false
}

function present(application: Application) {
  return {
    id: application.id,
    client_id: application.clientId,
    name: application.name,
    client_type: application.clientType,
    authorization_grant_type: application.grantTypes,
    redirect_uris: application.redirectUris,
    skip_authorization: application.skipAuthorization,
    created: application.createdAt.toISOString(),
    updated: application.updatedAt.toISOString(),
  }
}

export const listApplications: RouteHandler<typeof listApplicationsRoute, SessionEnv> = async (c) =>
  c.json((await listOwnApplications(db(c), ownerId(c))).map(present), 200)

export const registerApplication: RouteHandler<typeof registerApplicationRoute, SessionEnv> = async (c) => {
  const input = c.req.valid('json')
  const problems = applicationProblems({
    clientType: input.client_type,
    grantTypes: input.authorization_grant_type,
    redirectUris: input.redirect_uris,
  })
  if (problems) return c.json(problems, 400)
  if (input.skip_authorization && !(await isStaff(c))) return c.json(STAFF_ONLY, 400)
  const created = await createApplication(db(c), {
    name: input.name,
    clientType: input.client_type,
    grantTypes: input.authorization_grant_type,
    redirectUris: input.redirect_uris,
    skipAuthorization: input.skip_authorization,
    userId: ownerId(c),
  })
  // The only time the secret is ever shown: D1 keeps its digest.
  return c.json({ ...present(created), client_secret: created.clientSecret }, 201, NO_STORE_HEADERS)
}

export const applicationDetail: RouteHandler<typeof applicationDetailRoute, SessionEnv> = async (c) => {
  const id = parsePk(c.req.valid('param').id)
  const application = id === null ? undefined : await findOwnApplication(db(c), ownerId(c), id)
  return application ? c.json(present(application), 200) : c.json(NOT_FOUND, 404)
}

export const updateApplication: RouteHandler<typeof updateApplicationRoute, SessionEnv> = async (c) => {
  const id = parsePk(c.req.valid('param').id)
  const changes = c.req.valid('json')
  const current = id === null ? undefined : await findOwnApplication(db(c), ownerId(c), id)
  if (id === null || !current) return c.json(NOT_FOUND, 404)
  const problems = applicationProblems({
    clientType: current.clientType,
    grantTypes: changes.authorization_grant_type ?? current.grantTypes,
    redirectUris: changes.redirect_uris ?? current.redirectUris,
  })
  if (problems) return c.json(problems, 400)
  if (changes.skip_authorization && !(await isStaff(c))) return c.json(STAFF_ONLY, 400)
  const updated = await updateOwnApplication(db(c), ownerId(c), id, {
    name: changes.name,
    grantTypes: changes.authorization_grant_type,
    redirectUris: changes.redirect_uris,
    skipAuthorization: changes.skip_authorization,
  })
  return updated ? c.json(present(updated), 200) : c.json(NOT_FOUND, 404)
}

export const deleteApplication: RouteHandler<typeof deleteApplicationRoute, SessionEnv> = async (c) => {
  const id = parsePk(c.req.valid('param').id)
  const deleted = id !== null && (await deleteOwnApplication(tokenStore(c), ownerId(c), id))
  return deleted ? c.body(null, 204) : c.json(NOT_FOUND, 404)
}

export const rotateSecret: RouteHandler<typeof rotateSecretRoute, SessionEnv> = async (c) => {
  const id = parsePk(c.req.valid('param').id)
  const application = id === null ? undefined : await findOwnApplication(db(c), ownerId(c), id)
  if (id === null || !application) return c.json(NOT_FOUND, 404)
  const secret = application.clientType === 'public' ? null : await rotateClientSecret(db(c), ownerId(c), id)
  return c.json({ client_secret: secret }, 200, NO_STORE_HEADERS)
}

export const listTokens: RouteHandler<typeof listAuthorizedTokensRoute, SessionEnv> = async (c) => {
  const tokens = await listAuthorizedTokens(db(c), ownerId(c))
  return c.json(
    tokens.map((token) => ({
      id: token.id,
      application: { name: token.applicationName, client_id: token.clientId },
      scope: token.scope,
      expires: new Date(token.expiresAt * 1000).toISOString(),
    })),
    200,
  )
}

export const revokeToken: RouteHandler<typeof revokeAuthorizedTokenRoute, SessionEnv> = async (c) => {
  const id = parsePk(c.req.valid('param').id)
  const revoked = id !== null && (await revokeAuthorizedToken(tokenStore(c), ownerId(c), id))
  return revoked ? c.body(null, 204) : c.json(NOT_FOUND, 404)
}
