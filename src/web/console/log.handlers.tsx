/**
 * @module
 * The console's home and its audit log page (Django admin's "Recent actions" and LogEntry
 * list): newest first, paginated, filtered by actor (`?actor=<user id>`) and by object
 * (`?object_type=user&object_id=5`).
 */

import type { Context } from 'hono'
import { AUDIT_OBJECT_TYPES, type AuditFilters, listAuditEntries } from '../accounts/audit.ts'
import { renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { parsePk } from '../lib/forms.ts'
import { db } from '../lib/request-context.ts'
import type { StaffEnv } from '../types.ts'
import { notFound, PAGE_SIZE, queryText, requestedPage } from './request.tsx'
import { ConsolePage, formatTime, Pagination } from './views.tsx'

const LOG = '/admin/log/'

function objectLink(type: string, id: string): string | null {
  if (type === 'user') return `/admin/users/${id}/`
  if (type === 'application') return `/admin/applications/${id}/`
  return null
}

/** The filters the query names, or null when one of them is malformed (404, as a missing page). */
function filtersOf(c: Context<StaffEnv>): { filters: AuditFilters; params: Record<string, string> } | null {
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

export async function auditLogPage(c: Context<StaffEnv>) {
  const page = requestedPage(c)
  const query = filtersOf(c)
  const found = page === null || query === null ? null : await listAuditEntries(db(c), query.filters, page, PAGE_SIZE)
  if (!found || !query) return notFound(c)
  const filtered = Object.keys(query.params).length > 0
  return renderPage(
    c,
    <ConsolePage title="Audit log" staff={c.var.staff}>
      {filtered ? (
        <p>
          Filtered:{' '}
          {Object.entries(query.params)
            .map(([name, value]) => `${name} = ${value}`)
            .join(', ')}
          . <a href={LOG}>Show all</a>
        </p>
      ) : null}
      <p>
        {found.count} {found.count === 1 ? 'entry' : 'entries'}
      </p>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Object</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {found.entries.map((entry) => {
            const link = objectLink(entry.objectType, entry.objectId)
            return (
              <tr>
                <td data-label="When">{formatTime(entry.createdAt)}</td>
                <td data-label="Who">
                  {entry.actorId === null ? (
                    entry.actorUsername
                  ) : (
                    <a href={`${LOG}?${new URLSearchParams({ actor: String(entry.actorId) })}`}>
                      {entry.actorUsername}
                    </a>
                  )}
                </td>
                <td data-label="Action">{entry.action}</td>
                <td data-label="Object">
                  {link ? <a href={link}>{entry.objectRepr}</a> : entry.objectRepr}{' '}
                  <a
                    href={`${LOG}?${new URLSearchParams({ object_type: entry.objectType, object_id: entry.objectId })}`}
                  >
                    (history)
                  </a>
                </td>
                <td data-label="Details">{entry.message}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <Pagination path={LOG} params={query.params} page={found.page} pageCount={found.pageCount} />
    </ConsolePage>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function consoleHome(c: Context<StaffEnv>) {
  const recent = await listAuditEntries(db(c), {}, 1, 10)
  return renderPage(
    c,
    <ConsolePage title="Operator console" staff={c.var.staff}>
      <ul>
        <li>
          <a href="/admin/users/">Users</a>: find, create, deactivate, change passwords, log out everywhere
        </li>
        <li>
          <a href="/admin/applications/">Applications</a>: register, edit, rotate secrets, revoke tokens
        </li>
        <li>
          <a href="/admin/log/">Audit log</a>: every change made here
        </li>
      </ul>
      <h2>Recent actions</h2>
      {recent && recent.entries.length > 0 ? (
        <ul>
          {recent.entries.map((entry) => (
            <li>
              {formatTime(entry.createdAt)} — {entry.actorUsername}: {entry.action} {entry.objectRepr}
            </li>
          ))}
        </ul>
      ) : (
        <p>None yet.</p>
      )}
    </ConsolePage>,
    200,
    NO_STORE_HEADERS,
  )
}
