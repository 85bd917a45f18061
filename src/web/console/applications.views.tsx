/**
 * @module
 * The console's application pages (DOT's ApplicationAdmin): the list, an application's page
 * with its live tokens (and a new secret, once), the add and change forms (the one application
 * form, src/web/kit/application-form.tsx), and the notices after each action.
 */
import type { Order } from '../../db/ordering.ts'
import type { Application, User } from '../../db/schema.ts'
import { hasSecretToRotate } from '../../oauth/application-changes.ts'
import {
  type ApplicationListing,
  type ApplicationOrderKey,
  type ClientAuthentication,
  clientAuthentication,
} from '../../oauth/applications.ts'
import { listKeys } from '../../oauth/client-keys.ts'
import type { ListedPolicy } from '../../oauth/id-jag/policies.ts'
import type { LiveToken } from '../../tokens/lists.ts'
import { ApplicationForm, type ApplicationFormValues } from '../kit/application-form.tsx'
import { type FieldErrorMap, Notice } from '../kit/forms.tsx'
import { SecretOnce } from '../kit/secret.tsx'
import { Time } from '../kit/time.tsx'
import { IdJagRules } from './id-jag-rules.views.tsx'
import { KeyList } from './key-fields.tsx'
import type { Search } from './request.ts'
import { APPLICATIONS, applicationPath, ConsolePage, LOG, SearchListPage, userPath } from './shell.tsx'
import { AllTokensLink, TokenTable } from './tokens.views.tsx'

export const APPLICATION_NOTICES: Record<string, string> = {
  changed: 'The application was changed.',
  deleted: 'The application was deleted with its tokens.',
  token_revoked: 'The token was revoked.',
  tokens_revoked: 'Every token of the application was revoked.',
  keys_set: 'The client’s keys were saved.',
  keys_removed: 'The client’s keys were removed.',
  rule_set: 'The ID-JAG exchange rule was saved.',
  rule_removed: 'The ID-JAG exchange rule was removed.',
}

/** How the list names each way of authenticating (RFC 7591 §2 token_endpoint_auth_method values). */
const AUTH_METHOD_COLUMN: Record<ClientAuthentication, string> = {
  none: 'none',
  client_secret: 'client_secret',
  private_key_jwt: 'private_key_jwt',
  'client_secret or private_key_jwt': 'client_secret, private_key_jwt',
  nothing: '—',
}

/** How the application's page says it. */
const AUTH_METHOD_DETAIL: Record<ClientAuthentication, string> = {
  none: 'None: a public client (PKCE instead)',
  client_secret: 'Its client secret',
  private_key_jwt: 'Authenticates with its key, no secret (private_key_jwt)',
  'client_secret or private_key_jwt': 'Its client secret, or its key (private_key_jwt)',
  nothing: 'Nothing yet: no secret and no keys, so it cannot authenticate',
}

export function ApplicationListPage(props: {
  staff: User
  notice?: string
  search: Search<ApplicationListing>
  sort: { order: Order<ApplicationOrderKey>; asked: string }
}) {
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
      columns={['Name', 'Owner', 'Client type', 'Auth method', 'Grants', 'Created']}
      sort={{ keys: { Name: 'name', Created: 'created' }, ...props.sort }}
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
          <td data-label="Auth method">{AUTH_METHOD_COLUMN[clientAuthentication(application)]}</td>
          <td data-label="Grants">{application.grantTypes.join(', ')}</td>
          <td data-label="Created">
            <Time value={application.createdAt} />
          </td>
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
  /** Its ID-JAG exchange rules; null for a staff user who is not a superuser (theirs to see). */
  rules: ListedPolicy[] | null
}) {
  const { application, owner } = props
  const path = applicationPath(application.id)
  const confidential = application.clientType === 'confidential'
  const hasKeys = application.jwks !== null || application.jwksUri !== null
  const authentication = clientAuthentication(application)
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
        <dt>Client authentication</dt>
        <dd>{AUTH_METHOD_DETAIL[authentication]}</dd>
        <dt>Grant types</dt>
        <dd>{application.grantTypes.join(', ')}</dd>
        <dt>Redirect URIs</dt>
        <dd>{application.redirectUris.length > 0 ? application.redirectUris.join(' ') : '—'}</dd>
        <dt>Post-logout redirect URIs</dt>
        <dd>{application.postLogoutRedirectUris.length > 0 ? application.postLogoutRedirectUris.join(' ') : '—'}</dd>
        <dt>Skip authorization</dt>
        <dd>{application.skipAuthorization ? 'yes: users are never asked to consent' : 'no'}</dd>
        <dt>Pushed authorization requests</dt>
        <dd>
          {application.requirePushedAuthorizationRequests
            ? 'required: its authorization requests must come through /o/par/'
            : 'not required'}
        </dd>
        <dt>Created / updated</dt>
        <dd>
          <Time value={application.createdAt} /> / <Time value={application.updatedAt} />
        </dd>
      </dl>
      <section aria-label="Actions" class="actions">
        <a class="button secondary" href={`${path}change/`}>
          Edit
        </a>{' '}
        {confidential ? (
          <a class="button secondary" href={`${path}keys/`}>
            {hasKeys ? 'Replace keys' : 'Set keys'}
          </a>
        ) : null}{' '}
        {hasSecretToRotate(application) ? (
          <a class="button danger" href={`${path}rotate-secret/`}>
            Rotate secret
          </a>
        ) : null}{' '}
        {hasKeys ? (
          <a class="button danger" href={`${path}keys/remove/`}>
            Remove keys
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
      {confidential ? (
        <>
          <h2>Public keys (private_key_jwt)</h2>
          <KeyList keys={application.jwks === null ? null : listKeys(application.jwks)} jwksUri={application.jwksUri} />
        </>
      ) : null}
      {props.rules === null ? null : <IdJagRules application={application} rules={props.rules} />}
      <h2>Live tokens</h2>
      <TokenTable tokens={props.tokens} base={path} show="user" />
      <AllTokensLink application={application.clientId} />
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
          pushed: true,
        }}
      />
    </ConsolePage>
  )
}
