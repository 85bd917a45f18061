/**
 * @module
 * The console's home (the ten most recent actions) and its audit log: newest first, paginated,
 * filtered by actor (`?actor=<user id>`) and by object (`?object_type=user&object_id=5`).
 */
import type { Context } from 'hono'
import { AUDIT_OBJECT_TYPES, type AuditFilters, auditEntries } from '../../accounts/audit.ts'
import { readPage } from '../../db/paging.ts'
import { parsePk } from '../../lib/forms.ts'
import { db } from '../../lib/request-context.ts'
import { notFound, renderPrivatePage } from '../kit/page.tsx'
import { listPage } from '../kit/pagination.tsx'
import type { PageEnv } from '../kit/session.ts'
import { AuditLogPage, ConsoleHomePage } from './log.views.tsx'
import { PAGE_SIZE, queryText } from './request.ts'

const RECENT_ACTIONS = 10

/** The filters the query names, or null when one of them is malformed (404, as a missing page). */
function filtersOf(c: Context<PageEnv>): { filters: AuditFilters; params: Record<string, string> } | null {
  const filters: AuditFilters = {}
  const params: Record<string, string> = {}
  const actor = queryText(c, 'actor')
  if (actor) {
    const id = parsePk(actor)
    if (id === null) return null
    filters.actorId = id
    params.actor = actor
  }
  const type = queryText(c, 'object_type')
  if (type) {
    const known = AUDIT_OBJECT_TYPES.find((name) => name === type)
    if (!known) return null
    filters.objectType = known
    params.object_type = type
  }
  const objectId = queryText(c, 'object_id')
  if (objectId) {
    filters.objectId = objectId
    params.object_id = objectId
  }
  return { filters, params }
}

export async function auditLogPage(c: Context<PageEnv>) {
  const query = filtersOf(c)
  const page = query && (await listPage(c, db(c), auditEntries(db(c), query.filters), PAGE_SIZE))
  if (!query || !page) return notFound(c)
  return renderPrivatePage(c, <AuditLogPage staff={c.var.user} page={page} params={query.params} />)
}

export async function consoleHome(c: Context<PageEnv>) {
  const recent = await readPage(db(c), auditEntries(db(c), {}), 1, RECENT_ACTIONS)
  return renderPrivatePage(c, <ConsoleHomePage staff={c.var.user} recent={recent?.rows ?? []} />)
}
