/**
 * @module
 * The audit log (Django admin's LogEntry): every privileged change — made in the console, by an
 * owner to an application's sensitive settings (management API and pages), or by a `manage`
 * command — is recorded with its actor, action, object and time, and listed newest first.
 * The row is a statement of the change's own D1 batch (`auditStatement`), as Django's admin
 * writes its LogEntry in the change's transaction: the change and its record land together or
 * not at all. Messages describe what changed in words; callers never pass a secret, password,
 * token or digest.
 */
import { and, count, desc, eq, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import type { PagedQuery } from '../db/paging.ts'
import { type AuditEntry, auditLog } from '../db/schema.ts'

export const AUDIT_OBJECT_TYPES = [
  'user',
  'application',
  'token',
  'api_key',
  // Enterprise-managed authorization (src/oauth/id-jag/): the trust list and the exchange policy.
  'identity_provider',
  'id_jag_policy',
] as const
type AuditObjectType = (typeof AUDIT_OBJECT_TYPES)[number]

/** Who made a change: a user, or (id null) the operator running a `manage` command. */
export type AuditActor = { id: number | null; username: string }

export type AuditRecord = {
  action: string
  objectType: AuditObjectType
  /** The object's id; SQL for an object the same batch creates (its id read back in the batch). */
  objectId: number | string | SQL
  objectRepr: string
  message?: string | SQL
}

/** The audit row of one change made by `actor`: a statement for the change's own D1 batch. */
export function auditStatement(db: Db, actor: AuditActor, record: AuditRecord) {
  const { objectId } = record
  return db.insert(auditLog).values({
    actorId: actor.id,
    actorUsername: actor.username,
    action: record.action,
    objectType: record.objectType,
    objectId: typeof objectId === 'number' ? String(objectId) : objectId,
    objectRepr: record.objectRepr,
    message: record.message ?? '',
  })
}

/**
 * As `auditStatement`, written only if `condition` holds when the batch runs: the record of a
 * change the same batch makes only under conditions of its own (a token written only while the
 * facts it was issued on still hold) is written exactly when the change is.
 */
export function auditStatementIf(db: Db, actor: AuditActor, record: AuditRecord, condition: SQL) {
  const { objectId } = record
  return db.insert(auditLog).select((qb) =>
    qb
      .select({
        id: sql`NULL`.as('id'),
        actorId: sql`${actor.id}`.as('actor_id'),
        actorUsername: sql`${actor.username}`.as('actor_username'),
        action: sql`${record.action}`.as('action'),
        objectType: sql`${record.objectType}`.as('object_type'),
        objectId: sql`${typeof objectId === 'number' ? String(objectId) : objectId}`.as('object_id'),
        objectRepr: sql`${record.objectRepr}`.as('object_repr'),
        message: sql`${record.message ?? ''}`.as('message'),
        createdAt: sql`unixepoch()`.as('created_at'),
      })
      .from(sql`(SELECT 1)`)
      .where(condition),
  )
}

export type AuditFilters = { actorId?: number; objectType?: AuditObjectType; objectId?: string }

function conditions(filters: AuditFilters): SQL | undefined {
  const clauses: SQL[] = []
  if (filters.actorId !== undefined) clauses.push(eq(auditLog.actorId, filters.actorId))
  if (filters.objectType !== undefined) clauses.push(eq(auditLog.objectType, filters.objectType))
  if (filters.objectId !== undefined) clauses.push(eq(auditLog.objectId, filters.objectId))
  return and(...clauses)
}

/** The entries `filters` select, newest first, a page at a time (src/db/paging.ts). */
export function auditEntries(db: Db, filters: AuditFilters): PagedQuery<AuditEntry> {
  const where = conditions(filters)
  return {
    count: db.select({ total: count() }).from(auditLog).where(where),
    rows: ({ limit, offset }) =>
      db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(limit).offset(offset),
  }
}
