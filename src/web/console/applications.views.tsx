/**
 * @module
 * The console's application pages (DOT's ApplicationAdmin): the list, an application's page
 * with its live tokens (and a new secret, once), the add and change forms (the one application
 * form, src/web/kit/application-form.tsx), and the notices after each action.
 */
import type { Application, User } from '../../db/schema.ts'
import type { ApplicationListing } from '../../oauth/applications.ts'
import type { LiveToken } from '../../tokens/lists.ts'
import { ApplicationForm, type ApplicationFormValues } from '../kit/application-form.tsx'
import { type FieldErrorMap, Notice } from '../kit/forms.tsx'
import { SecretOnce } from '../kit/secret.tsx'
import type { Search } from './request.ts'
import { APPLICATIONS, applicationPath, ConsolePage, formatTime, LOG, SearchListPage, userPath } from './shell.tsx'
import { TokenTable } from './tokens.views.tsx'

export const APPLICATION_NOTICES: Record<string, string> = {
  changed: 'The application was changed.',
  deleted: 'The application was deleted with its tokens.',
  token_revoked: 'The token was revoked.',
  tokens_revoked: 'Every token of the application was revoked.',
}

export function ApplicationListPage(props: { staff: User; notice?: string; search: Search<ApplicationListing> }) {
  return (
    <SearchListPage
      title="Applications"
      staff={props.staff}
      notice={props.notice}
      path={APPLICATIONS}
      add="Add application"
      searchLabel="Search by name, client_id or owner"
      search={props.search}
      noun={['application', 'applications']}
      columns={['Name', 'Owner', 'Client type', 'Grants', 'Created']}
    >
      {props.search.page.rows.map(({ application, ownerUsername }) => (
        <tr>
          <td data-label="Name">
            <a href={applicationPath(application.id)}>{application.name}</a>
          </td>
          <td data-label="Owner">
            {application.userId === null ? '—' : <a href={userPath(application.userId)}>{ownerUsername}</a>}
          </td>
          <td data-label="Client type">{application.clientType}</td>
          <td data-label="Grants">{application.grantTypes.join(', ')}</td>
          <td data-label="Created">{formatTime(application.createdAt)}</td>
        </tr>
      ))}
    </SearchListPage>
  )
}

export function ApplicationDetailPage(props: {
  staff: User
  application: Application
  owner: User | undefined
  notice?: string
  /** A new client secret, shown on this answer only. */
  secret: string | null
  tokens: LiveToken[]
}) {
  const { application, owner } = props
  const path = applicationPath(application.id)
  return (
    <ConsolePage title={`Application ${application.name}`} staff={props.staff}>
      <Notice text={props.notice} />
      {props.secret ? <SecretOnce label="The client secret" value={props.secret} /> : null}
      <dl class="details">
        <dt>client_id</dt>
        <dd>
          <code>{application.clientId}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{owner ? <a href={userPath(owner)}>{owner.username}</a> : '—'}</dd>
        <dt>Client type</dt>
        <dd>{application.clientType}</dd>
        <dt>Grant types</dt>
        <dd>{application.grantTypes.join(', ')}</dd>
        <dt>Redirect URIs</dt>
        <dd>{application.redirectUris.length > 0 ? application.redirectUris.join(' ') : '—'}</dd>
        <dt>Post-logout redirect URIs</dt>
        <dd>{application.postLogoutRedirectUris.length > 0 ? application.postLogoutRedirectUris.join(' ') : '—'}</dd>
        <dt>Skip authorization</dt>
        <dd>{application.skipAuthorization ? 'yes: users are never asked to consent' : 'no'}</dd>
        <dt>Created / updated</dt>
        <dd>
          {formatTime(application.createdAt)} / {formatTime(application.updatedAt)}
        </dd>
      </dl>
      <section aria-label="Actions" class="actions">
        <a class="button secondary" href={`${path}change/`}>
          Edit
        </a>{' '}
        {application.clientType === 'confidential' ? (
          <a class="button danger" href={`${path}rotate-secret/`}>
            Rotate secret
          </a>
        ) : null}{' '}
        <a class="button danger" href={`${path}delete/`}>
          Delete
        </a>
      </section>
      <p>
        <a href={`${LOG}?${new URLSearchParams({ object_type: 'application', object_id: String(application.id) })}`}>
          History
        </a>
      </p>
      <h2>Live tokens</h2>
      <TokenTable tokens={props.tokens} base={path} show="user" />
    </ConsolePage>
  )
}

/** The add form (with the owner) or the change form of the application at `path`. */
export function ApplicationFormPage(props: {
  staff: User
  title: string
  action: string
  cancel: string
  values: ApplicationFormValues
  errors: FieldErrorMap
  withOwner: boolean
}) {
  return (
    <ConsolePage title={props.title} staff={props.staff}>
      <ApplicationForm
        action={props.action}
        cancel={props.cancel}
        submit="Save"
        values={props.values}
        errors={props.errors}
        fields={{
          owner: props.withOwner,
          postLogout: true,
          clientType: 'choose',
          maySkip: props.staff.isSuperuser,
        }}
      />
    </ConsolePage>
  )
}
