/**
 * @module
 * The console's applications (DOT's ApplicationAdmin): every owner's, searchable; detail with
 * live tokens; create; edit (name, redirect and post-logout URIs, grants, client type,
 * skip_authorization); rotate the secret (shown once); delete. The settings rules are the API's
 * and the CLI's (src/oauth/application-rules.ts). Who may change what (src/accounts/rights.ts)
 * and the audit row written with each change are src/oauth/application-changes.ts's; what the
 * rules keep for superusers is a 403 page for other staff.
 */
import type { Context } from 'hono'
import { findUserById, findUserByUsername } from '../accounts/users.ts'
import type { Application, User } from '../db/schema.ts'
import { searchTextProblem } from '../db/search.ts'
import { malformedFormPage, renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { formParams, type RawParams, single } from '../lib/forms.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import {
  applicationRefusalFor,
  changeApplicationAs,
  createApplicationAs,
  deleteApplicationAs,
  isRefused,
  rotateSecretAs,
} from '../oauth/application-changes.ts'
import { applicationNameProblem, applicationProblems, MAX_APPLICATION_NAME_LENGTH } from '../oauth/application-rules.ts'
import { APPLICATION_GRANTS, type ApplicationGrant, CLIENT_TYPES, searchApplications } from '../oauth/applications.ts'
import { listLiveTokens } from '../tokens/store.ts'
import type { StaffEnv } from '../types.ts'
import { GRANT_LABELS } from '../views/applications.tsx'
import { ErrorPage } from '../views/error.tsx'
import {
  checked,
  forbidden,
  notFound,
  PAGE_SIZE,
  pathApplication,
  queryText,
  redirectAfterPost,
  requestedPage,
} from './request.tsx'
import { TOKEN_LIST_LIMIT, TokenTable } from './tokens.tsx'
import { ConfirmPage, ConsolePage, FieldErrors, formatTime, Notice, SearchListPage, SecretOnce } from './views.tsx'

const APPLICATIONS = '/admin/applications/'
const applicationPath = (application: Pick<Application, 'id'>) => `${APPLICATIONS}${application.id}/`
const CHOICE = 'Select a valid choice.'

const NOTICES: Record<string, string> = {
  changed: 'The application was changed.',
  deleted: 'The application was deleted with its tokens.',
  token_revoked: 'The token was revoked.',
  tokens_revoked: 'Every token of the application was revoked.',
}

export async function applicationList(c: Context<StaffEnv>) {
  const query = queryText(c, 'q')
  // Past the longest text searched: the page says so, with nothing listed (400).
  const queryProblem = searchTextProblem(query)
  const page = requestedPage(c)
  const found = queryProblem
    ? { count: 0, page: 1, pageCount: 1, applications: [] }
    : page === null
      ? null
      : await searchApplications(db(c), query, page, PAGE_SIZE)
  if (!found) return notFound(c)
  return renderPage(
    c,
    <SearchListPage
      title="Applications"
      staff={c.var.staff}
      notice={NOTICES[queryText(c, 'notice')]}
      path={APPLICATIONS}
      add="Add application"
      searchLabel="Search by name, client_id or owner"
      query={query}
      queryProblem={queryProblem}
      count={found.count}
      noun={['application', 'applications']}
      columns={['Name', 'Owner', 'Client type', 'Grants', 'Created']}
      page={found.page}
      pageCount={found.pageCount}
    >
      {found.applications.map((application) => (
        <tr>
          <td data-label="Name">
            <a href={applicationPath(application)}>{application.name}</a>
          </td>
          <td data-label="Owner">
            {application.userId === null ? (
              '—'
            ) : (
              <a href={`/admin/users/${application.userId}/`}>{application.ownerUsername}</a>
            )}
          </td>
          <td data-label="Client type">{application.clientType}</td>
          <td data-label="Grants">{application.grantTypes.join(', ')}</td>
          <td data-label="Created">{formatTime(application.createdAt)}</td>
        </tr>
      ))}
    </SearchListPage>,
    queryProblem ? 400 : 200,
    NO_STORE_HEADERS,
  )
}

async function detailPage(c: Context<StaffEnv>, application: Application, secret: string | null, status: 200 | 201) {
  const [tokens, owner] = await Promise.all([
    listLiveTokens(db(c), { applicationId: application.id }, TOKEN_LIST_LIMIT),
    application.userId === null ? undefined : findUserById(db(c), application.userId),
  ])
  const path = applicationPath(application)
  return renderPage(
    c,
    <ConsolePage title={`Application ${application.name}`} staff={c.var.staff}>
      <Notice text={NOTICES[queryText(c, 'notice')]} />
      {secret ? <SecretOnce label="The client secret" value={secret} /> : null}
      <dl class="details">
        <dt>client_id</dt>
        <dd>
          <code>{application.clientId}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{owner ? <a href={`/admin/users/${owner.id}/`}>{owner.username}</a> : '—'}</dd>
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
        <a
          href={`/admin/log/?${new URLSearchParams({ object_type: 'application', object_id: String(application.id) })}`}
        >
          History
        </a>
      </p>
      <h2>Live tokens</h2>
      <TokenTable tokens={tokens} base={path} show="user" />
    </ConsolePage>,
    status,
    NO_STORE_HEADERS,
  )
}

export async function applicationDetail(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  return application ? detailPage(c, application, null, 200) : notFound(c)
}

type ApplicationInput = {
  name: string
  owner: string
  clientType: string
  grantTypes: string[]
  redirectUris: string
  postLogoutRedirectUris: string
  skipAuthorization: boolean
}

function ApplicationForm(props: {
  staff: User
  title: string
  action: string
  cancel: string
  input: ApplicationInput
  errors: Record<string, string[]>
  withOwner: boolean
}) {
  const { input, errors } = props
  return (
    <ConsolePage title={props.title} staff={props.staff}>
      <form method="post" action={props.action}>
        <div class="field">
          <label for="name">Name</label>
          <input
            type="text"
            id="name"
            name="name"
            value={input.name}
            required
            maxlength={MAX_APPLICATION_NAME_LENGTH}
          />
          <FieldErrors id="name-errors" errors={errors.name} />
        </div>
        {props.withOwner ? (
          <div class="field">
            <label for="owner">Owner (username; empty for none)</label>
            <input type="text" id="owner" name="owner" value={input.owner} />
            <FieldErrors id="owner-errors" errors={errors.owner} />
          </div>
        ) : null}
        <fieldset class="field">
          <legend class="label">Client type</legend>
          {CLIENT_TYPES.map((type) => (
            <label class="choice">
              <input type="radio" name="client_type" value={type} checked={input.clientType === type} /> {type}
            </label>
          ))}
        </fieldset>
        <FieldErrors id="client_type-errors" errors={errors.client_type} />
        <fieldset class="field">
          <legend class="label">Grant types</legend>
          {APPLICATION_GRANTS.map((grant) => (
            <label class="choice">
              <input
                type="checkbox"
                name="authorization_grant_type"
                value={grant}
                checked={input.grantTypes.includes(grant)}
              />{' '}
              {GRANT_LABELS[grant]}
            </label>
          ))}
        </fieldset>
        <FieldErrors id="authorization_grant_type-errors" errors={errors.authorization_grant_type} />
        <div class="field">
          <label for="redirect_uris">Redirect URIs (one per line)</label>
          <textarea id="redirect_uris" name="redirect_uris" rows={3}>
            {input.redirectUris}
          </textarea>
          <FieldErrors id="redirect_uris-errors" errors={errors.redirect_uris} />
        </div>
        <div class="field">
          <label for="post_logout_redirect_uris">Post-logout redirect URIs (one per line)</label>
          <textarea id="post_logout_redirect_uris" name="post_logout_redirect_uris" rows={2}>
            {input.postLogoutRedirectUris}
          </textarea>
          <FieldErrors id="post_logout_redirect_uris-errors" errors={errors.post_logout_redirect_uris} />
        </div>
        {props.staff.isSuperuser ? (
          <>
            <label class="choice">
              <input type="checkbox" name="skip_authorization" checked={input.skipAuthorization} /> Skip authorization
            </label>
            <p class="warning">
              Warning: with skip authorization the consent page is never shown; any site that knows the client_id can
              obtain tokens for a logged-in user at its redirect URIs. Tick it only for first-party clients.
            </p>
          </>
        ) : (
          <p>Skip authorization: {input.skipAuthorization ? 'yes' : 'no'} (superusers decide it).</p>
        )}
        <button type="submit" class="button primary">
          Save
        </button>{' '}
        <a class="button secondary" href={props.cancel}>
          Cancel
        </a>
      </form>
    </ConsolePage>
  )
}

function readInput(form: RawParams): ApplicationInput {
  return {
    name: single(form, 'name') ?? '',
    owner: (single(form, 'owner') ?? '').trim(),
    clientType: single(form, 'client_type') ?? '',
    grantTypes: form.authorization_grant_type ?? [],
    redirectUris: single(form, 'redirect_uris') ?? '',
    postLogoutRedirectUris: single(form, 'post_logout_redirect_uris') ?? '',
    skipAuthorization: checked(form, 'skip_authorization'),
  }
}

const uriList = (text: string) => text.split(/\s+/).filter((uri) => uri !== '')

type ValidSettings = {
  name: string
  clientType: (typeof CLIENT_TYPES)[number]
  grantTypes: ApplicationGrant[]
  redirectUris: string[]
  postLogoutRedirectUris: string[]
}

/** The form's settings checked with the API's rules, or every field error (list items folded into their field). */
function validate(input: ApplicationInput): { settings: ValidSettings } | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {}
  const add = (field: string, message: string) => {
    errors[field] = [...(errors[field] ?? []), message]
  }
  const name = input.name.trim()
  if (name === '') add('name', 'This field may not be blank.')
  else if (name.length > MAX_APPLICATION_NAME_LENGTH) {
    add('name', `Ensure this field has no more than ${MAX_APPLICATION_NAME_LENGTH} characters.`)
  } else {
    const problem = applicationNameProblem(name)
    if (problem) add('name', problem)
  }
  const clientType = CLIENT_TYPES.find((type) => type === input.clientType)
  if (!clientType) add('client_type', CHOICE)
  const grantTypes = input.grantTypes.map((grant) => APPLICATION_GRANTS.find((known) => known === grant))
  if (grantTypes.includes(undefined)) add('authorization_grant_type', CHOICE)
  const settings = {
    name,
    clientType: clientType ?? 'confidential',
    grantTypes: grantTypes.filter((grant) => grant !== undefined),
    redirectUris: uriList(input.redirectUris),
    postLogoutRedirectUris: uriList(input.postLogoutRedirectUris),
  }
  const problems = applicationProblems(settings) ?? {}
  for (const [key, messages] of Object.entries(problems)) {
    // `redirect_uris.2` → the message under the redirect URIs field, naming the URI.
    const [field, index] = key.split('.')
    const list = field === 'redirect_uris' ? settings.redirectUris : settings.postLogoutRedirectUris
    for (const message of messages) add(field, index === undefined ? message : `${list[Number(index)]}: ${message}`)
  }
  return Object.keys(errors).length > 0 ? { errors } : { settings }
}

const EMPTY_APPLICATION: ApplicationInput = {
  name: '',
  owner: '',
  clientType: 'confidential',
  grantTypes: [],
  redirectUris: '',
  postLogoutRedirectUris: '',
  skipAuthorization: false,
}

function addForm(c: Context<StaffEnv>, input: ApplicationInput, errors: Record<string, string[]>, status: 200 | 400) {
  return renderPage(
    c,
    <ApplicationForm
      staff={c.var.staff}
      title="Add application"
      action={`${APPLICATIONS}add/`}
      cancel={APPLICATIONS}
      input={input}
      errors={errors}
      withOwner
    />,
    status,
    NO_STORE_HEADERS,
  )
}

export function addApplicationPage(c: Context<StaffEnv>) {
  return addForm(c, EMPTY_APPLICATION, {}, 200)
}

export async function addApplication(c: Context<StaffEnv>) {
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const input = readInput(form)
  const checkedInput = validate(input)
  const owner = input.owner ? await findUserByUsername(db(c), input.owner) : undefined
  const errors = 'errors' in checkedInput ? { ...checkedInput.errors } : {}
  if (input.owner && !owner) errors.owner = ['There is no user with that username.']
  if (!('settings' in checkedInput) || Object.keys(errors).length > 0) return addForm(c, input, errors, 400)
  const created = await createApplicationAs(db(c), c.var.staff, {
    ...checkedInput.settings,
    userId: owner?.id ?? null,
    skipAuthorization: input.skipAuthorization,
  })
  if ('refused' in created) return forbidden(c, created.refused)
  // The one time the secret is shown: the page answers the POST itself (no redirect to lose it).
  return detailPage(c, created, created.clientSecret, 201)
}

function changeForm(
  c: Context<StaffEnv>,
  application: Application,
  input: ApplicationInput,
  errors: Record<string, string[]>,
  status: 200 | 400,
) {
  return renderPage(
    c,
    <ApplicationForm
      staff={c.var.staff}
      title={`Edit ${application.name}`}
      action={`${applicationPath(application)}change/`}
      cancel={applicationPath(application)}
      input={input}
      errors={errors}
      withOwner={false}
    />,
    status,
    NO_STORE_HEADERS,
  )
}

export async function changeApplicationPage(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await applicationRefusalFor(db(c), c.var.staff, application, 'view-change')
  if (refused) return forbidden(c, refused)
  return changeForm(
    c,
    application,
    {
      name: application.name,
      owner: '',
      clientType: application.clientType,
      grantTypes: application.grantTypes,
      redirectUris: application.redirectUris.join('\n'),
      postLogoutRedirectUris: application.postLogoutRedirectUris.join('\n'),
      skipAuthorization: application.skipAuthorization,
    },
    {},
    200,
  )
}

export async function changeApplication(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const input = readInput(form)
  const checkedInput = validate(input)
  if ('errors' in checkedInput) return changeForm(c, application, input, checkedInput.errors, 400)
  const updated = await changeApplicationAs(db(c), c.var.staff, application, {
    ...checkedInput.settings,
    // Only a superuser's form has the box: anyone else's leaves the setting as it is (a forged
    // tick that would turn it on is refused).
    skipAuthorization: c.var.staff.isSuperuser
      ? input.skipAuthorization
      : input.skipAuthorization || application.skipAuthorization,
  })
  if (!updated) return notFound(c)
  if ('refused' in updated) return forbidden(c, updated.refused)
  // A client made confidential got a secret: shown on this answer, once.
  if (updated.clientSecret) return detailPage(c, updated.application, updated.clientSecret, 200)
  return redirectAfterPost(c, applicationPath(application), 'changed')
}

export async function rotateSecretPage(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await applicationRefusalFor(db(c), c.var.staff, application, 'rotate')
  if (refused) return forbidden(c, refused)
  return renderPage(
    c,
    <ConfirmPage
      staff={c.var.staff}
      title={`Rotate the secret of ${application.name}?`}
      action={`${applicationPath(application)}rotate-secret/`}
      cancel={applicationPath(application)}
      button="Rotate secret"
    >
      <p>
        A new client secret is made and shown once; the current one stops working at once. Tokens already issued stay
        valid.
      </p>
    </ConfirmPage>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function rotateSecret(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const secret = await rotateSecretAs(db(c), c.var.staff, application)
  if (isRefused(secret)) return forbidden(c, secret.refused)
  if (secret === null) {
    return renderPage(
      c,
      <ErrorPage title="Bad request" error="invalid_request" description="Public clients have no client secret." />,
      400,
      NO_STORE_HEADERS,
    )
  }
  return detailPage(c, application, secret, 200)
}

export async function deleteApplicationPage(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await applicationRefusalFor(db(c), c.var.staff, application, 'delete')
  if (refused) return forbidden(c, refused)
  return renderPage(
    c,
    <ConfirmPage
      staff={c.var.staff}
      title={`Delete ${application.name}?`}
      action={`${applicationPath(application)}delete/`}
      cancel={applicationPath(application)}
      button="Yes, delete"
    >
      <p>The application is deleted with every token and authorization code issued to it. This cannot be undone.</p>
    </ConfirmPage>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function removeApplication(c: Context<StaffEnv>) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await deleteApplicationAs(tokenStore(c), c.var.staff, application)
  if (refused) return forbidden(c, refused.refused)
  return redirectAfterPost(c, APPLICATIONS, 'deleted')
}
