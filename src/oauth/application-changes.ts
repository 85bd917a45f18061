/**
 * @module
 * Every change of an application, made as someone: whether they may (src/accounts/rights.ts),
 * the change, and its audit row in the same D1 batch (src/accounts/audit.ts). The console, the
 * management API and its pages, and the `manage` commands (as OPERATOR) change applications
 * through here, so each change of skip_authorization, redirect URIs, client type, secret or
 * owner is checked and recorded the same way wherever it comes from. A refusal comes back as
 * `{ refused }` for the caller to word in its dialect.
 */
import { auditStatement } from '../accounts/audit.ts'
import {
  type Actor,
  type ApplicationAct,
  applicationRefusal,
  endsSilentConsent,
  type Person,
} from '../accounts/rights.ts'
import { findUserById } from '../accounts/users.ts'
import type { Db } from '../db/client.ts'
import type { Application } from '../db/schema.ts'
import type { TokenStore } from '../tokens/store.ts'
import { distinct } from './application-rules.ts'
import {
  type ApplicationKeys,
  applicationIdByClientId,
  type CreatedApplication,
  clientAuthentication,
  createApplication,
  deleteApplication,
  type NewApplication,
  rotateApplicationSecret,
  type StaffApplicationChanges,
  setApplicationKeys,
  updateApplication,
} from './applications.ts'

export type Refused = { refused: string }

/** Whether an outcome is a refusal (for outcomes that may also be a string or null). */
export function isRefused<T>(outcome: T | Refused): outcome is Refused {
  return typeof outcome === 'object' && outcome !== null && 'refused' in outcome
}

type Owner = Person & { username: string }

/** The application's owner as the rules see them (the actor themselves needs no query). */
async function ownerOf(db: Db, actor: Actor, userId: number | null): Promise<Owner | null> {
  if (userId === null) return null
  if (userId === actor.id) return { ...actor, id: userId }
  return (await findUserById(db, userId)) ?? null
}

/**
 * Why `actor` may not do `action` to the application, or null: for the pages that ask first
 * (an edit form, a confirmation), and for token revocations, which their own module writes.
 */
export async function applicationRefusalFor(
  db: Db,
  actor: Actor,
  application: Application,
  action: Exclude<ApplicationAct['action'], 'create' | 'change'>,
): Promise<string | null> {
  return applicationRefusal(actor, await ownerOf(db, actor, application.userId), { action, application })
}

/** Registers an application for `input.userId` (null: nobody), audited. */
export async function createApplicationAs(
  db: Db,
  actor: Actor,
  input: NewApplication,
): Promise<CreatedApplication | Refused> {
  const owner = await ownerOf(db, actor, input.userId ?? null)
  const skipAuthorization = input.skipAuthorization ?? false
  const refused = applicationRefusal(actor, owner, {
    action: 'create',
    skipAuthorization,
    grantTypes: input.grantTypes,
  })
  if (refused) return { refused }
  const redirects = distinct(input.redirectUris ?? [])
  const details = [
    owner ? `for owner ${owner.username}` : 'without an owner',
    redirects.length > 0 ? `redirect URIs ${redirects.join(' ')}` : '',
    skipAuthorization ? 'with skip_authorization' : '',
    input.canIntrospect ? 'with can_introspect' : '',
    input.requirePushedAuthorizationRequests ? 'with require_pushed_authorization_requests' : '',
  ].filter(Boolean)
  return createApplication(db, input, (clientId) => [
    auditStatement(db, actor, {
      action: 'application.create',
      objectType: 'application',
      objectId: applicationIdByClientId(db, clientId),
      objectRepr: input.name,
      message: `Registered ${input.clientType} client ${clientId} ${details.join(', ')}.`,
    }),
  ])
}

/** What changed, in words for the audit log: names and new values, never a secret. */
function describe(current: Application, changes: StaffApplicationChanges, endedSilentConsent: boolean): string {
  const list = (values: readonly string[] | undefined) =>
    values === undefined ? undefined : distinct(values).join(' ')
  const fields: [string, unknown, unknown][] = [
    ['name', current.name, changes.name],
    ['client type', current.clientType, changes.clientType],
    ['grant types', current.grantTypes.join(' '), list(changes.grantTypes)],
    ['redirect URIs', current.redirectUris.join(' '), list(changes.redirectUris)],
    ['post-logout URIs', current.postLogoutRedirectUris.join(' '), list(changes.postLogoutRedirectUris)],
    ['skip_authorization', current.skipAuthorization, changes.skipAuthorization],
    [
      'require_pushed_authorization_requests',
      current.requirePushedAuthorizationRequests,
      changes.requirePushedAuthorizationRequests,
    ],
  ]
  const changed = fields
    .filter(([, old, now]) => now !== undefined && old !== now)
    .map(([name, , now]) => `${name} → ${String(now) || '(none)'}`)
  if (endedSilentConsent) changed.push('(silent consent ends: the redirect URIs moved)')
  if (changes.clientType !== undefined && changes.clientType !== current.clientType) {
    changed.push(changes.clientType === 'public' ? 'client secret removed' : 'new client secret')
  }
  return changed.length > 0 ? `Changed ${changed.join('; ')}.` : 'No changes.'
}

/**
 * Changes an application, audited. An actor who is not a superuser moving the redirect URIs of
 * a skip_authorization application turns skip_authorization off (its owner may move them;
 * silent consent was approved for the old ones). Undefined when the application is gone.
 */
export async function changeApplicationAs(
  store: TokenStore,
  actor: Actor,
  current: Application,
  changes: StaffApplicationChanges,
): Promise<{ application: Application; clientSecret: string | null } | Refused | undefined> {
  const { db } = store
  const owner = await ownerOf(db, actor, current.userId)
  const refused = applicationRefusal(actor, owner, { action: 'change', application: current, changes })
  if (refused) return { refused }
  const ends = endsSilentConsent(actor, current, changes)
  const effective = ends ? { ...changes, skipAuthorization: false } : changes
  const audit = auditStatement(db, actor, {
    action: 'application.change',
    objectType: 'application',
    objectId: current.id,
    objectRepr: effective.name ?? current.name,
    message: describe(current, effective, ends),
  })
  return updateApplication(store, current, effective, [audit])
}

/**
 * A new secret for a confidential application, shown once; audited. Null for a client with no
 * secret to rotate: a public one, and one that authenticates with its keys alone (private_key_jwt):
 * its credential is rotated by replacing its keys (setApplicationKeysAs); a secret would add a
 * second, weaker one.
 */
export async function rotateSecretAs(
  store: TokenStore,
  actor: Actor,
  current: Application,
): Promise<string | Refused | null> {
  const { db } = store
  const refused = await applicationRefusalFor(db, actor, current, 'rotate')
  if (refused) return { refused }
  if (!hasSecretToRotate(current)) return null
  return rotateApplicationSecret(store, current.id, [
    auditStatement(db, actor, {
      action: 'application.rotate_secret',
      objectType: 'application',
      objectId: current.id,
      objectRepr: current.name,
      message: 'Rotated the client secret.',
    }),
  ])
}

/** Whether the application has a client secret to rotate (see rotateSecretAs). */
export function hasSecretToRotate(application: Application): boolean {
  const authentication = clientAuthentication(application)
  return authentication !== 'none' && authentication !== 'private_key_jwt'
}

/** Deletes an application with its tokens (KV purged), audited. */
export async function deleteApplicationAs(
  store: TokenStore,
  actor: Actor,
  current: Application,
): Promise<Refused | undefined> {
  const refused = await applicationRefusalFor(store.db, actor, current, 'delete')
  if (refused) return { refused }
  await deleteApplication(store, current.id, [
    auditStatement(store.db, actor, {
      action: 'application.delete',
      objectType: 'application',
      objectId: current.id,
      objectRepr: current.name,
      message: `Deleted client ${current.clientId}.`,
    }),
  ])
}

/** Why the keys cannot be set so (the caller words it as a 400), as opposed to who may not (Refused). */
export type KeysProblem = { problem: string }

export const PUBLIC_CLIENTS_HAVE_NO_KEYS = 'A public client does not authenticate: keys are for confidential clients.'

/** How audit messages name keys: their kids (no key material), or where they are fetched. */
function describeKeys(keys: ApplicationKeys): string {
  if (keys.jwksUri !== undefined) return `keys at ${keys.jwksUri}`
  return `keys ${keys.jwks.keys.map((key) => key.kid ?? '(no kid)').join(', ')}`
}

/**
 * Sets, replaces (`keys`) or removes (null) the public keys a confidential client authenticates
 * with by private_key_jwt (already checked, src/oauth/client-keys.ts), audited. Changing them is
 * rotating the client's credential: the rights of a secret rotation. Removing the keys of a
 * client that holds no secret leaves it unable to authenticate until it gets keys or a secret
 * (as `manage clientkeys --remove`): the caller says so first. Its tokens are not touched.
 * Undefined when the application is gone.
 */
export async function setApplicationKeysAs(
  db: Db,
  actor: Actor,
  current: Application,
  keys: ApplicationKeys | null,
): Promise<true | Refused | KeysProblem | undefined> {
  const refused = await applicationRefusalFor(db, actor, current, 'rotate')
  if (refused) return { refused }
  if (current.clientType !== 'confidential') return { problem: PUBLIC_CLIENTS_HAVE_NO_KEYS }
  const had = current.jwks !== null || current.jwksUri !== null
  const message =
    keys === null
      ? 'Removed the client’s keys (private_key_jwt).'
      : `${had ? 'Replaced' : 'Set'} the client’s ${describeKeys(keys)} (private_key_jwt).`
  const updated = await setApplicationKeys(db, current.id, keys, [
    auditStatement(db, actor, {
      action: 'application.keys',
      objectType: 'application',
      objectId: current.id,
      objectRepr: current.name,
      message,
    }),
  ])
  return updated || undefined
}
