/**
 * @module
 * Management API handlers: the caller (c.var.auth, set by sessionOwner) sees and changes
 * only what they own; anything else is 404. Changes go through src/oauth/application-changes.ts
 * (audited; skip_authorization is a superuser's decision: DRF's 403 otherwise). Refusals are
 * thrown as DrfError, which the router's dialect answers.
 */
import type { RouteHandler } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Actor } from '../accounts/rights.ts'
import { findUserById } from '../accounts/users.ts'
import type { SessionEnv } from '../auth/env.ts'
import type { Application } from '../db/schema.ts'
import { DrfError } from '../http/drf.ts'
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
  type Refused,
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

// DRF's NotFound.
const NOT_FOUND = 'Not found.'

/** The user behind the request: sessionOwner refuses requests without one (SessionEnv). */
function ownerId(c: Context<SessionEnv>): number {
  return c.var.auth.userId
}

/** The caller with their rights (none beyond an ordinary user's if their row is gone meanwhile). */
async function actor(c: Context<SessionEnv>): Promise<Actor> {
  const { userId, username } = c.var.auth
  return (await findUserById(db(c), userId)) ?? { id: userId, username, isStaff: false, isSuperuser: false }
}

/** The caller's application the path names; DRF's 404 for any other. */
async function ownApplication(c: Context<SessionEnv>, rawId: string): Promise<Application> {
  const id = parsePk(rawId)
  const application = id === null ? undefined : await findOwnApplication(db(c), ownerId(c), id)
  if (!application) throw new DrfError(404, NOT_FOUND)
  return application
}

/** What src/accounts/rights.ts keeps from the caller: DRF's PermissionDenied. */
function refuse(outcome: Refused): never {
  throw new DrfError(403, outcome.refused)
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
  if ('refused' in created) refuse(created)
  // The only time the secret is ever shown: D1 keeps its digest.
  return c.json({ ...present(created), client_secret: created.clientSecret }, 201, NO_STORE_HEADERS)
}

export const applicationDetail: RouteHandler<typeof applicationDetailRoute, SessionEnv> = async (c) => {
  return c.json(present(await ownApplication(c, c.req.valid('param').id)), 200)
}

export const updateApplication: RouteHandler<typeof updateApplicationRoute, SessionEnv> = async (c) => {
  const changes = c.req.valid('json')
  const current = await ownApplication(c, c.req.valid('param').id)
  const problems = applicationProblems({
    clientType: current.clientType,
    grantTypes: changes.authorization_grant_type ?? current.grantTypes,
    redirectUris: changes.redirect_uris ?? current.redirectUris,
  })
  if (problems) return c.json(problems, 400)
  const updated = await changeApplicationAs(tokenStore(c), await actor(c), current, {
    name: changes.name,
    grantTypes: changes.authorization_grant_type,
    redirectUris: changes.redirect_uris,
    skipAuthorization: changes.skip_authorization,
  })
  if (!updated) throw new DrfError(404, NOT_FOUND)
  if ('refused' in updated) refuse(updated)
  return c.json(present(updated.application), 200)
}

export const deleteApplication: RouteHandler<typeof deleteApplicationRoute, SessionEnv> = async (c) => {
  const application = await ownApplication(c, c.req.valid('param').id)
  const refused = await deleteApplicationAs(tokenStore(c), await actor(c), application)
  if (refused) refuse(refused)
  return c.body(null, 204)
}

export const rotateSecret: RouteHandler<typeof rotateSecretRoute, SessionEnv> = async (c) => {
  const application = await ownApplication(c, c.req.valid('param').id)
  const secret = await rotateSecretAs(tokenStore(c), await actor(c), application)
  if (isRefused(secret)) refuse(secret)
  return c.json({ client_secret: secret }, 200, NO_STORE_HEADERS)
}

export const listTokens: RouteHandler<typeof listAuthorizedTokensRoute, SessionEnv> = async (c) => {
  const tokens = await listAuthorizedTokens(tokenStore(c), ownerId(c))
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
  if (!revoked) throw new DrfError(404, NOT_FOUND)
  return c.body(null, 204)
}
