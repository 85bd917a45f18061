/**
 * @module
 * The console's home and its audit log page (Django admin's "Recent actions" and LogEntry list).
 */
import type { Page } from '../../db/paging.ts'
import type { AuditEntry, User } from '../../db/schema.ts'
import { Pagination } from '../kit/pagination.tsx'
import { Time } from '../kit/time.tsx'
import {
  APPLICATIONS,
  applicationPath,
  ConsolePage,
  ID_JAG_RULES,
  IDENTITY_PROVIDERS,
  identityProviderPath,
  LOG,
  USERS,
  userPath,
} from './shell.tsx'

function objectLink(type: string, id: string): string | null {
  if (type === 'user') return userPath(Number(id))
  if (type === 'application') return applicationPath(Number(id))
  if (type === 'identity_provider') return identityProviderPath(Number(id))
  if (type === 'id_jag_policy') return `${ID_JAG_RULES}${id}/`
  return null
}

export function AuditLogPage(props: { staff: User; page: Page<AuditEntry>; params: Record<string, string> }) {
  const { page, params } = props
  const filtered = Object.keys(params).length > 0
  return (
    <ConsolePage title="Audit log" staff={props.staff}>
      {filtered ? (
        <p>
          Filtered:{' '}
          {Object.entries(params)
            .map(([name, value]) => `${name} = ${value}`)
            .join(', ')}
          . <a href={LOG}>Show all</a>
        </p>
      ) : null}
      <p>
        {page.count} {page.count === 1 ? 'entry' : 'entries'}
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
          {page.rows.map((entry) => {
            const link = objectLink(entry.objectType, entry.objectId)
            return (
              <tr>
                <td data-label="When">
                  <Time value={entry.createdAt} />
                </td>
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
                <td data-label="Object" class="long">
                  {link ? <a href={link}>{entry.objectRepr}</a> : entry.objectRepr}{' '}
                  <a
                    href={`${LOG}?${new URLSearchParams({ object_type: entry.objectType, object_id: entry.objectId })}`}
                  >
                    (history)
                  </a>
                </td>
                <td data-label="Details" class="long">
                  {entry.message}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <Pagination path={LOG} params={params} page={page.page} pageCount={page.pageCount} />
    </ConsolePage>
  )
}

export function ConsoleHomePage(props: { staff: User; recent: AuditEntry[] }) {
  return (
    <ConsolePage title="Operator console" staff={props.staff}>
      <ul>
        <li>
          <a href={USERS}>Users</a>: find, create, deactivate, change passwords, log out everywhere
        </li>
        <li>
          <a href={APPLICATIONS}>Applications</a>: register, edit, rotate secrets, revoke tokens
        </li>
        {props.staff.isSuperuser ? (
          <li>
            <a href={IDENTITY_PROVIDERS}>Identity providers</a>: whose ID-JAGs are trusted (enterprise-managed
            authorization)
          </li>
        ) : null}
        <li>
          <a href={LOG}>Audit log</a>: every change made here
        </li>
      </ul>
      <h2>Recent actions</h2>
      {props.recent.length > 0 ? (
        <ul>
          {props.recent.map((entry) => (
            <li>
              <Time value={entry.createdAt} /> — {entry.actorUsername}: {entry.action} {entry.objectRepr}
            </li>
          ))}
        </ul>
      ) : (
        <p>None yet.</p>
      )}
    </ConsolePage>
  )
}
