/**
 * @module
 * Who may act on what: Django admin's model, one rule per concept, asked by every door — the
 * operator console, the management API and its pages, and the `manage` commands.
 *
 * - Accounts: a superuser manages anyone; a staff user manages ordinary users only, so nobody
 *   raises their own rights or takes over a staff or superuser account.
 * - What an account owns (applications, OAuth tokens, DRF keys) follows from its owner: its
 *   owner, and whoever may manage the owner. An application nobody owns (made by a `manage`
 *   command) is the operator's: staff may act on it within the two rules below.
 * - Silent consent (`skip_authorization`) is a superuser's decision: only a superuser turns it
 *   on, and only a superuser changes a skip application that is not theirs. An owner who is not
 *   a superuser and moves the redirect URIs ends it (codes would go somewhere nobody approved).
 * - A designated resource server (`can_introspect`) is rotated or retargeted (redirect URIs,
 *   client type) only by a superuser or its owner.
 * - The jwt-bearer grant is a superuser's decision too: an application allowed it gets tokens,
 *   with no consent page, for whichever user a trusted identity provider's ID-JAG names.
 * - So is enterprise-managed authorization itself: which identity providers are trusted (their
 *   ID-JAGs name any user here) and which clients may exchange id_tokens for ID-JAGs.
 *
 * The `manage` commands act as OPERATOR: whoever holds the database has a superuser's rights,
 * as with Django's manage.py. Each rule answers a refusal message (or null): the caller words it
 * in its dialect (the console's 403 page, DRF's 403, a CLI error).
 */
import { type Application, JWT_BEARER_GRANT, type User } from '../db/schema.ts'

/** The one acting: a user, or (id null) the operator running a `manage` command. */
export type Actor = { id: number | null; username: string; isStaff: boolean; isSuperuser: boolean }

/** A `manage` command's actor: the database's holder, with a superuser's rights. */
export const OPERATOR: Actor = { id: null, username: 'manage', isStaff: true, isSuperuser: true }

/** An account as these rules see it. */
export type Person = Pick<User, 'id' | 'isStaff' | 'isSuperuser'>

export const MAY_NOT_MANAGE = 'Only superusers may change staff and superuser accounts.'
const NOT_YOURS = 'Only superusers may act on what a staff user or superuser owns.'
const SKIP_IS_SUPERUSERS = 'Only superusers may turn on skip_authorization.'
const SKIP_APPLICATION_NOT_YOURS = 'Only superusers may change a skip_authorization application that is not yours.'
const JWT_BEARER_IS_SUPERUSERS = 'Only superusers may allow the jwt-bearer grant (ID-JAGs from identity providers).'
const RESOURCE_SERVER_NOT_YOURS =
  'Only superusers may rotate the secret of, or retarget, a can_introspect application that is not yours.'

const ENTERPRISE_IS_SUPERUSERS =
  'Only superusers may manage trusted identity providers and ID-JAG exchange rules (enterprise-managed authorization).'

/** Why `actor` may not see or change the trusted identity providers and ID-JAG exchange rules, or null. */
export function enterpriseRefusal(actor: Actor): string | null {
  return actor.isSuperuser ? null : ENTERPRISE_IS_SUPERUSERS
}

/** Whether `actor` may change `target`'s account (the console's user pages). */
export function mayManageUser(actor: Actor, target: Person): boolean {
  return actor.isSuperuser || (actor.isStaff && !target.isStaff && !target.isSuperuser)
}

/** Whether `actor` may act on what `owner` owns (null: nobody, i.e. the operator). */
function mayActFor(actor: Actor, owner: Person | null): boolean {
  return owner === null || owner.id === actor.id || mayManageUser(actor, owner)
}

/** The settings of an application that these rules look at. */
type Guarded = Pick<Application, 'userId' | 'skipAuthorization' | 'canIntrospect' | 'redirectUris' | 'clientType'> & {
  grantTypes?: readonly string[]
}

/** What a change would set (absent: unchanged). */
export type SettingChanges = {
  redirectUris?: readonly string[]
  clientType?: Application['clientType']
  skipAuthorization?: boolean
  grantTypes?: readonly string[]
}

export type ApplicationAct =
  | { action: 'create'; skipAuthorization: boolean; grantTypes?: readonly string[] }
  | { action: 'change'; application: Guarded; changes: SettingChanges }
  | { action: 'view-change' | 'rotate' | 'delete' | 'revoke-tokens'; application: Guarded }

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((value) => right.has(value))
}

/** Whether `changes` moves where the application's codes go (redirect URIs, as a set). */
function movesRedirects(application: Pick<Application, 'redirectUris'>, changes: SettingChanges): boolean {
  return changes.redirectUris !== undefined && !sameSet(changes.redirectUris, application.redirectUris)
}

function retargets(application: Guarded, changes: SettingChanges): boolean {
  const clientType = changes.clientType !== undefined && changes.clientType !== application.clientType
  return clientType || movesRedirects(application, changes)
}

/**
 * Why `actor` may not do `act` to an application owned by `owner` (the new owner, for a
 * creation), or null when they may.
 */
export function applicationRefusal(actor: Actor, owner: Person | null, act: ApplicationAct): string | null {
  if (actor.isSuperuser) return null
  if (!mayActFor(actor, owner)) return NOT_YOURS
  if (act.action === 'create') {
    if (act.skipAuthorization) return SKIP_IS_SUPERUSERS
    return act.grantTypes?.includes(JWT_BEARER_GRANT) ? JWT_BEARER_IS_SUPERUSERS : null
  }
  const { application } = act
  const changes = act.action === 'change' ? act.changes : {}
  if (changes.skipAuthorization === true && !application.skipAuthorization) return SKIP_IS_SUPERUSERS
  if (changes.grantTypes?.includes(JWT_BEARER_GRANT) && !application.grantTypes?.includes(JWT_BEARER_GRANT)) {
    return JWT_BEARER_IS_SUPERUSERS
  }
  const theirs = owner !== null && owner.id === actor.id
  if (theirs) return null
  const edits = act.action === 'change' || act.action === 'view-change' || act.action === 'rotate'
  if (application.skipAuthorization && edits) return SKIP_APPLICATION_NOT_YOURS
  const retargeting = act.action === 'rotate' || (act.action === 'change' && retargets(application, changes))
  if (application.canIntrospect && retargeting) return RESOURCE_SERVER_NOT_YOURS
  return null
}

/**
 * Whether a change ends the application's silent consent: an actor who is not a superuser
 * moves the redirect URIs of a skip_authorization application (its owner may; nobody else
 * reaches this far, see applicationRefusal).
 */
export function endsSilentConsent(actor: Actor, application: Guarded, changes: SettingChanges): boolean {
  return !actor.isSuperuser && application.skipAuthorization && movesRedirects(application, changes)
}
