/**
 * @module
 * Management API handlers: the caller (c.var.auth, set by sessionOwner) sees and changes
 * only what they own; anything else is 404. Changes go through src/oauth/application-changes.ts
 * (audited; skip_authorization is a superuser's decision: DRF's 403 otherwise).
 */
import type { RouteHandler } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Actor } from '../accounts/rights.ts'
import { findUserById } from '../accounts/users.ts'
import type { SessionEnv } from '../auth/env.ts'
import type { Application } from '../db/schema.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { parsePk } from '../lib/forms.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import { listAuthorizedTokens } from '../tokens/lists.ts'
import { revokeAuthorizedToken } from '../tokens/revocation.ts'
import {
  changeApplicationAs,
  createApplicationAs,
  deleteApplicationAs,
  isRefused,
  rotateSecretAs,
} from './application-changes.ts'
import { applicationProblems } from './application-rules.ts'
import { findOwnApplication, listOwnApplications } from './applications.ts'
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

/** The user behind the request: sessionOwner refuses requests without one (SessionEnv). */
function ownerId(c: Context<SessionEnv>): number {
  return c.var.auth.userId
}

/** The caller with their rights (none beyond an ordinary user's if their row is gone meanwhile). */
async function actor(c: Context<SessionEnv>): Promise<Actor> {
  const { userId, username } = c.var.auth
  return (await findUserById(db(c), userId)) ?? { id: userId, username, isStaff: false, isSuperuser: false }
}

/** The caller's application the path names, or undefined (404). */
async function ownApplication(c: Context<SessionEnv>, rawId: string) {
  const id = parsePk(rawId)
  return id === null ? undefined : findOwnApplication(db(c), ownerId(c), id)
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
  const created = await createApplicationAs(db(c), await actor(c), {
    name: input.name,
    clientType: input.client_type,
    grantTypes: input.authorization_grant_type,
    redirectUris: input.redirect_uris,
    skipAuthorization: input.skip_authorization,
    userId: ownerId(c),
  })
  if ('refused' in created) return c.json({ detail: created.refused }, 403)
  // The only time the secret is ever shown: D1 keeps its digest.
  return c.json({ ...present(created), client_secret: created.clientSecret }, 201, NO_STORE_HEADERS)
}

export const applicationDetail: RouteHandler<typeof applicationDetailRoute, SessionEnv> = async (c) => {
  const application = await ownApplication(c, c.req.valid('param').id)
  return application ? c.json(present(application), 200) : c.json(NOT_FOUND, 404)
}

export const updateApplication: RouteHandler<typeof updateApplicationRoute, SessionEnv> = async (c) => {
  const changes = c.req.valid('json')
  const current = await ownApplication(c, c.req.valid('param').id)
  if (!current) return c.json(NOT_FOUND, 404)
  const problems = applicationProblems({
    clientType: current.clientType,
    grantTypes: changes.authorization_grant_type ?? current.grantTypes,
    redirectUris: changes.redirect_uris ?? current.redirectUris,
  })
  if (problems) return c.json(problems, 400)
  const updated = await changeApplicationAs(db(c), await actor(c), current, {
    name: changes.name,
    grantTypes: changes.authorization_grant_type,
    redirectUris: changes.redirect_uris,
    skipAuthorization: changes.skip_authorization,
  })
  if (!updated) return c.json(NOT_FOUND, 404)
  if ('refused' in updated) return c.json({ detail: updated.refused }, 403)
  return c.json(present(updated.application), 200)
}

export const deleteApplication: RouteHandler<typeof deleteApplicationRoute, SessionEnv> = async (c) => {
  const application = await ownApplication(c, c.req.valid('param').id)
  if (!application) return c.json(NOT_FOUND, 404)
  const refused = await deleteApplicationAs(tokenStore(c), await actor(c), application)
  return refused ? c.json({ detail: refused.refused }, 403) : c.body(null, 204)
}

export const rotateSecret: RouteHandler<typeof rotateSecretRoute, SessionEnv> = async (c) => {
  const application = await ownApplication(c, c.req.valid('param').id)
  if (!application) return c.json(NOT_FOUND, 404)
  const secret = await rotateSecretAs(db(c), await actor(c), application)
  if (isRefused(secret)) return c.json({ detail: secret.refused }, 403)
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
