/**
 * @module
 * The exchange policy of this server acting as an enterprise IdP (draft-ietf-oauth-identity-
 * assertion-authz-grant §4.3: "The IdP Authorization Server evaluates administrator-defined
 * policy for the token exchange request"): one rule per client, authorization server
 * (`audience`) and resource, naming the client_id that client has at that server (§5: "the IdP
 * Authorization Server maintaining a record of each client_id used between Clients and Resource
 * Authorization Servers") and, optionally, the most scope an ID-JAG may carry. No rule: no ID-JAG.
 * Adding and removing a rule is audited in the same batch.
 */
import { and, eq, sql } from 'drizzle-orm'
import { type AuditActor, auditStatement } from '../../accounts/audit.ts'
import type { Db } from '../../db/client.ts'
import { type Application, applications, type IdJagPolicy, idJagPolicies } from '../../db/schema.ts'
import { normalizeResourceUri } from '../../lib/resource-uri.ts'
import { parseScope, SCOPE_TOKEN } from '../../lib/scope.ts'
import { MAX_REDIRECT_URI_LENGTH } from '../application-rules.ts'
import { issuerProblem } from './trusted-idps.ts'

export type NewIdJagPolicy = {
  /** The other authorization server's issuer identifier, exactly as its metadata says it. */
  audience: string
  resource: string
  /** Default: the client's own client_id (the same client_id there, e.g. a client ID metadata document URL). */
  audienceClientId?: string
  /** Space-separated; default: none, the client's request passes as it asks. */
  scope?: string
}

// RFC 6749 A.1: a client_id's characters.
const CLIENT_ID = /^[\x20-\x7E]{1,255}$/

/** The rule as stored (normalised resource, scope each token once), or why it cannot be one. */
export function checkPolicy(application: Pick<Application, 'clientId' | 'clientType'>, input: NewIdJagPolicy) {
  if (application.clientType !== 'confidential') {
    return 'Only confidential clients may exchange id_tokens for ID-JAGs (the draft’s §8.1).'
  }
  const audienceProblem = issuerProblem(input.audience)
  if (audienceProblem) return audienceProblem.replace('The issuer', 'The audience (an authorization server’s issuer)')
  const resource = input.resource.length > MAX_REDIRECT_URI_LENGTH ? null : normalizeResourceUri(input.resource)
  if (resource === null) return 'The resource must be an absolute URI without fragment (RFC 8707 §2).'
  const audienceClientId = input.audienceClientId ?? application.clientId
  if (!CLIENT_ID.test(audienceClientId)) return 'The client_id at the audience must be 1 to 255 printable characters.'
  const scopes = input.scope === undefined ? null : parseScope(input.scope)
  if (scopes !== null && (scopes.length === 0 || !scopes.every((scope) => SCOPE_TOKEN.test(scope)))) {
    return 'The scope must be scope tokens separated by spaces (RFC 6749 §3.3).'
  }
  return { audience: input.audience, resource, audienceClientId, scope: scopes === null ? null : scopes.join(' ') }
}

/** Adds the rule, or replaces the one for the same client, audience and resource; audited. */
export async function setIdJagPolicy(
  db: Db,
  actor: AuditActor,
  application: Pick<Application, 'id' | 'clientId' | 'name'>,
  rule: Exclude<ReturnType<typeof checkPolicy>, string>,
): Promise<IdJagPolicy> {
  const where = and(
    eq(idJagPolicies.applicationId, application.id),
    eq(idJagPolicies.audience, rule.audience),
    eq(idJagPolicies.resource, rule.resource),
  )
  const scope = rule.scope === null ? 'the scope the client asks for' : `at most scope ${rule.scope}`
  const [[policy]] = await db.batch([
    db
      .insert(idJagPolicies)
      .values({ applicationId: application.id, ...rule })
      .onConflictDoUpdate({
        target: [idJagPolicies.applicationId, idJagPolicies.audience, idJagPolicies.resource],
        set: { audienceClientId: rule.audienceClientId, scope: rule.scope },
      })
      .returning(),
    auditStatement(db, actor, {
      action: 'id_jag_policy.set',
      objectType: 'id_jag_policy',
      objectId: sql`(${db.select({ id: idJagPolicies.id }).from(idJagPolicies).where(where)})`,
      objectRepr: `${application.clientId} → ${rule.audience}`,
      message: `Client ${application.clientId} (${application.name}) may exchange id_tokens for ID-JAGs for ${rule.audience}, resource ${rule.resource}, as client_id ${rule.audienceClientId} there, with ${scope}.`,
    }),
  ])
  return policy
}

/** Removes the rule with this id, audited; false when there is none. */
export async function removeIdJagPolicy(db: Db, actor: AuditActor, id: number): Promise<boolean> {
  const existing = await db
    .select({ policy: idJagPolicies, clientId: applications.clientId })
    .from(idJagPolicies)
    .innerJoin(applications, eq(applications.id, idJagPolicies.applicationId))
    .where(eq(idJagPolicies.id, id))
    .get()
  if (!existing) return false
  const { policy, clientId } = existing
  await db.batch([
    db.delete(idJagPolicies).where(eq(idJagPolicies.id, id)),
    auditStatement(db, actor, {
      action: 'id_jag_policy.remove',
      objectType: 'id_jag_policy',
      objectId: id,
      objectRepr: `${clientId} → ${policy.audience}`,
      message: `Client ${clientId} may no longer exchange id_tokens for ID-JAGs for ${policy.audience}, resource ${policy.resource}.`,
    }),
  ])
  return true
}

export type ListedPolicy = IdJagPolicy & { clientId: string }

/** Every rule (of one client, with `applicationId`), by client and audience. */
export async function listIdJagPolicies(db: Db, applicationId?: number): Promise<ListedPolicy[]> {
  const rows = await db
    .select({ policy: idJagPolicies, clientId: applications.clientId })
    .from(idJagPolicies)
    .innerJoin(applications, eq(applications.id, idJagPolicies.applicationId))
    .where(applicationId === undefined ? undefined : eq(idJagPolicies.applicationId, applicationId))
    .orderBy(applications.clientId, idJagPolicies.audience, idJagPolicies.resource)
  return rows.map(({ policy, clientId }) => ({ ...policy, clientId }))
}

/** The rule with this id, or undefined. */
export async function findIdJagPolicyById(db: Db, id: number): Promise<IdJagPolicy | undefined> {
  if (!Number.isSafeInteger(id)) return undefined
  return db.select().from(idJagPolicies).where(eq(idJagPolicies.id, id)).get()
}

// An issuer identifier compares exactly (RFC 8414 §3.3); a trailing slash aside, which clients
// add or drop as they turn URLs into strings: the ID-JAG's `aud` is then the rule's spelling.
const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '')

/** The rule letting the client ask for an ID-JAG for `audience` and `resource` (normal form), if any. */
export async function findIdJagPolicy(
  db: Db,
  applicationId: number,
  audience: string,
  resource: string,
): Promise<IdJagPolicy | undefined> {
  const rules = await db
    .select()
    .from(idJagPolicies)
    .where(and(eq(idJagPolicies.applicationId, applicationId), eq(idJagPolicies.resource, resource)))
  return rules.find((rule) => sameIssuer(rule.audience, audience))
}
