/**
 * @module
 * DOT's application pages (oauth2_provider/templates/oauth2_provider/application_*.html): the
 * list, the register and update form, the detail page (with the new secret, once).
 */
import type { Page } from '../../db/paging.ts'
import type { Application } from '../../db/schema.ts'
import { ApplicationForm, type ApplicationFormValues } from '../kit/application-form.tsx'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { Layout } from '../kit/layout.tsx'
import { Pagination } from '../kit/pagination.tsx'
import { SITE_PATHS } from '../kit/paths.ts'
import { SecretOnce } from '../kit/secret.tsx'
import { Time } from '../kit/time.tsx'

export const APPLICATIONS_PATH = SITE_PATHS.applications

export const applicationPath = (id: number) => `${APPLICATIONS_PATH}${id}/`

export function ApplicationListPage(props: { page: Page<Application> }) {
  const { page } = props
  return (
    <Layout title="Your applications" wide>
      <div class="actions">
        <a class="button primary" href={`${APPLICATIONS_PATH}register/`}>
          Register a new application
        </a>
      </div>
      {page.rows.length === 0 ? (
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
            {page.rows.map((application) => (
              <tr>
                <td data-label="Name">
                  <a href={applicationPath(application.id)}>{application.name}</a>
                </td>
                <td data-label="Client id" class="mono long">
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
      <Pagination path={APPLICATIONS_PATH} page={page.page} pageCount={page.pageCount} />
    </Layout>
  )
}

export function ApplicationFormPage(props: {
  mode: 'register' | 'update'
  action: string
  cancel: string
  values: ApplicationFormValues
  errors: FieldErrorMap
  /** A superuser's form: skip_authorization is theirs to decide (src/accounts/rights.ts). */
  maySkip: boolean
}) {
  const register = props.mode === 'register'
  return (
    <Layout title={register ? 'Register an application' : `Edit ${props.values.name || 'application'}`}>
      <ApplicationForm
        action={props.action}
        cancel={props.cancel}
        submit={register ? 'Register' : 'Save'}
        values={props.values}
        errors={props.errors}
        fields={{ clientType: register ? 'choose' : 'show', maySkip: props.maySkip }}
      />
    </Layout>
  )
}

export function ApplicationDetailPage(props: { application: Application; newSecret: string | null }) {
  const { application } = props
  const path = applicationPath(application.id)
  return (
    <Layout title={application.name}>
      {props.newSecret ? <SecretOnce label="Client secret" value={props.newSecret} id="client-secret" /> : null}
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
        <dd>
          <Time value={application.createdAt} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <Time value={application.updatedAt} />
        </dd>
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
