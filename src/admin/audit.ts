/**
 * @module
 * The console's audit log (Django admin's LogEntry): every change made in /admin/ is recorded
 * with its actor, action, object and time, and listed newest first. Messages describe what
 * changed in words; callers never pass a secret, password, token or digest.
 */
import { and, count, desc, eq, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { type AuditEntry, auditLog, type User } from '../db/schema.ts'

export const AUDIT_OBJECT_TYPES = ['user', 'application', 'token', 'api_key'] as const
type AuditObjectType = (typeof AUDIT_OBJECT_TYPES)[number]

export type AuditRecord = {
  action: string
  objectType: AuditObjectType
  objectId: number | string
  objectRepr: string
  message?: string
}

/** Records one change made by `actor`. */
export async function recordAudit(db: Db, actor: Pick<User, 'id' | 'username'>, record: AuditRecord): Promise<void> {
  await db.insert(auditLog).values({
    actorId: actor.id,
    actorUsername: actor.username,
    action: record.action,
    objectType: record.objectType,
    objectId: String(record.objectId),
    objectRepr: record.objectRepr,
    message: record.message ?? '',
  })
}

export type AuditFilters = { actorId?: number; objectType?: AuditObjectType; objectId?: string }

export type AuditPage = { count: number; page: number; pageCount: number; entries: AuditEntry[] }

function conditions(filters: AuditFilters): SQL | undefined {
  const clauses: SQL[] = []
  if (filters.actorId !== undefined) clauses.push(eq(auditLog.actorId, filters.actorId))
  if (filters.objectType !== undefined) clauses.push(eq(auditLog.objectType, filters.objectType))
  if (filters.objectId !== undefined) clauses.push(eq(auditLog.objectId, filters.objectId))
  return and(...clauses)
}

/** One page of entries, newest first, or null when the page does not exist (page 1 always does). */
export async function listAuditEntries(
  db: Db,
  filters: AuditFilters,
  page: number,
  pageSize: number,
): Promise<AuditPage | null> {
  const where = conditions(filters)
  const [[{ total }], entries] = await db.batch([
    db.select({ total: count() }).from(auditLog).where(where),
    db
      .select()
      .from(auditLog)
      .where(where)
      .orderBy(desc(auditLog.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
  ])
  const pageCount = Math.max(1, Math.ceil(total / pageSize))
  if (page > pageCount) return null
  return { count: total, page, pageCount, entries }
}
