/**
 * @module
 * DOT's application pages (oauth2_provider/templates/oauth2_provider/application_*.html): the
 * list, the register and update form, the detail page (with the new secret, once).
 */
import { APPLICATION_GRANTS, type Application } from '../db/schema.ts'
import { Layout } from './layout.tsx'
import { Pagination } from './pagination.tsx'

export const APPLICATIONS_PATH = '/o/applications/'

export const applicationPath = (id: number) => `${APPLICATIONS_PATH}${id}/`

/** How a form names each grant (the user pages and the operator console). */
export const GRANT_LABELS: Record<(typeof APPLICATION_GRANTS)[number], string> = {
  'authorization-code': 'Authorization code',
  password: 'Resource owner password',
  'client-credentials': 'Client credentials',
  'urn:ietf:params:oauth:grant-type:device_code': 'Device code (RFC 8628)',
}

export function ApplicationListPage(props: { applications: Application[]; page: number; hasNext: boolean }) {
  return (
    <Layout title="Your applications" wide>
      <div class="actions">
        <a class="button primary" href={`${APPLICATIONS_PATH}register/`}>
          Register a new application
        </a>
      </div>
      {props.applications.length === 0 ? (
        <p class="muted">No applications yet.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Client id</th>
              <th>Type</th>
              <th>Grants</th>
            </tr>
          </thead>
          <tbody>
            {props.applications.map((application) => (
              <tr>
                <td data-label="Name">
                  <a href={applicationPath(application.id)}>{application.name}</a>
                </td>
                <td data-label="Client id" class="mono">
                  {application.clientId}
                </td>
                <td data-label="Type">{application.clientType}</td>
                <td data-label="Grants">
                  {application.grantTypes.map((grant) => (
                    <span class="tag">{grant}</span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination path={APPLICATIONS_PATH} page={props.page} hasNext={props.hasNext} />
    </Layout>
  )
}

/** The form's values as typed (kept on a refused submit). */
export type ApplicationFormValues = {
  name: string
  clientType: string
  grantTypes: string[]
  /** One URI per line, as typed. */
  redirectUris: string
  skipAuthorization: boolean
}

/** Field errors by field name; `redirect_uris.2` is the third line's. */
export type FieldErrors = Record<string, string[]>

function Errors(props: { messages: string[] | undefined }) {
  return (
    <>
      {props.messages?.map((message) => (
        <p class="field-error">{message}</p>
      ))}
    </>
  )
}

/** The errors of a list field: its own, then each line's, numbered as the person typed them. */
function listErrors(errors: FieldErrors, field: string): string[] {
  const messages = [...(errors[field] ?? [])]
  for (const [name, lines] of Object.entries(errors)) {
    const match = name.match(new RegExp(`^${field}\\.(\\d+)$`))
    if (match) messages.push(...lines.map((message) => `Line ${Number(match[1]) + 1}: ${message}`))
  }
  return messages
}

export function ApplicationFormPage(props: {
  mode: 'register' | 'update'
  action: string
  cancelHref: string
  values: ApplicationFormValues
  errors: FieldErrors
  /** A superuser's form: skip_authorization is theirs to decide (src/accounts/rights.ts). */
  maySkip: boolean
}) {
  const { values, errors } = props
  const invalid = (field: string, messages = errors[field]) => (messages?.length ? 'field invalid' : 'field')
  const redirectErrors = listErrors(errors, 'redirect_uris')
  const grantErrors = listErrors(errors, 'authorization_grant_type')
  const hasErrors = Object.keys(errors).length > 0
  return (
    <Layout title={props.mode === 'register' ? 'Register an application' : `Edit ${values.name || 'application'}`}>
      {hasErrors ? (
        <p class="form-errors" role="alert">
          Please correct the errors below.
        </p>
      ) : null}
      <Errors messages={errors.non_field_errors} />
      {/* Only a superuser's form has the skip_authorization box: its refusal (a forged field) is shown here. */}
      {props.maySkip ? null : <Errors messages={errors.skip_authorization} />}
      <form method="post" action={props.action}>
        <div class={invalid('name')}>
          <label for="name">Name</label>
          <input type="text" id="name" name="name" value={values.name} maxlength={255} required />
          <Errors messages={errors.name} />
        </div>
        {props.mode === 'register' ? (
          <fieldset class={invalid('client_type')}>
            <legend class="label">Client type</legend>
            <label class="choice">
              <input
                type="radio"
                name="client_type"
                value="confidential"
                checked={values.clientType === 'confidential'}
              />
              <span>
                Confidential <span class="muted">— runs on a server that can keep a secret</span>
              </span>
            </label>
            <label class="choice">
              <input type="radio" name="client_type" value="public" checked={values.clientType === 'public'} />
              <span>
                Public <span class="muted">— a browser or mobile app: no secret, PKCE instead</span>
              </span>
            </label>
            <Errors messages={errors.client_type} />
          </fieldset>
        ) : (
          <div class="field">
            <span class="label">Client type</span>
            <p>{values.clientType}</p>
          </div>
        )}
        <fieldset class={invalid('authorization_grant_type', grantErrors)}>
          <legend class="label">Grant types</legend>
          {APPLICATION_GRANTS.map((grant) => (
            <label class="choice">
              <input
                type="checkbox"
                name="authorization_grant_type"
                value={grant}
                checked={values.grantTypes.includes(grant)}
              />
              <span>
                {GRANT_LABELS[grant]} <span class="muted mono">{grant}</span>
              </span>
            </label>
          ))}
          <Errors messages={grantErrors} />
        </fieldset>
        <div class={invalid('redirect_uris', redirectErrors)}>
          <label for="redirect_uris">Redirect URIs</label>
          <textarea id="redirect_uris" name="redirect_uris" rows={3} spellcheck={false} autocapitalize="none">
            {values.redirectUris}
          </textarea>
          <p class="help">One per line: https, or http for localhost and 127.0.0.1 only; no fragment.</p>
          <Errors messages={redirectErrors} />
        </div>
        {props.maySkip ? (
          <div class={invalid('skip_authorization')}>
            <label class="choice">
              <input type="checkbox" name="skip_authorization" value="on" checked={values.skipAuthorization} />
              <span>Skip the consent page</span>
            </label>
            <p class="help warning">
              Superusers only: users are never asked before this application gets a token for their account. Only for
              applications you run.
            </p>
            <Errors messages={errors.skip_authorization} />
          </div>
        ) : null}
        <div class="actions">
          <button type="submit" class="button primary">
            {props.mode === 'register' ? 'Register' : 'Save'}
          </button>
          <a class="button secondary" href={props.cancelHref}>
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  )
}

export function ApplicationDetailPage(props: { application: Application; newSecret: string | null }) {
  const { application } = props
  const path = applicationPath(application.id)
  return (
    <Layout title={application.name}>
      {props.newSecret ? (
        <div class="warning" role="status">
          <p>
            <strong>Client secret</strong> — copy it now: it is shown this once and never again. Only a digest is kept.
          </p>
          <code class="secret" id="client-secret">
            {props.newSecret}
          </code>
        </div>
      ) : null}
      <dl class="details">
        <dt>Client id</dt>
        <dd class="mono" id="client-id">
          {application.clientId}
        </dd>
        <dt>Client secret</dt>
        <dd>
          {application.clientType === 'public'
            ? 'None (public client)'
            : props.newSecret
              ? 'Shown above, this once'
              : 'Hidden: rotate it for a new one'}
        </dd>
        <dt>Client type</dt>
        <dd>{application.clientType}</dd>
        <dt>Grant types</dt>
        <dd>
          {application.grantTypes.map((grant) => (
            <span class="tag">{grant}</span>
          ))}
        </dd>
        <dt>Redirect URIs</dt>
        <dd>
          {application.redirectUris.length === 0 ? (
            <span class="muted">None</span>
          ) : (
            <ul>
              {application.redirectUris.map((uri) => (
                <li class="mono">{uri}</li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Consent page</dt>
        <dd>{application.skipAuthorization ? 'Skipped (a superuser’s setting)' : 'Shown'}</dd>
        <dt>Created</dt>
        <dd>{application.createdAt.toISOString()}</dd>
        <dt>Updated</dt>
        <dd>{application.updatedAt.toISOString()}</dd>
      </dl>
      <div class="actions">
        <a class="button primary" href={`${path}update/`}>
          Edit
        </a>
        {application.clientType === 'confidential' ? (
          <a class="button secondary" href={`${path}rotate-secret/`}>
            Rotate secret
          </a>
        ) : null}
        <a class="button danger" href={`${path}delete/`}>
          Delete
        </a>
      </div>
      <p>
        <a href={APPLICATIONS_PATH}>← Your applications</a>
      </p>
    </Layout>
  )
}
