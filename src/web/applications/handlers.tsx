/**
 * @module
 * DOT's ApplicationRegistration/Detail/Update/Delete views for the logged-in user
 * (`c.var.user`, set by requireSession): read the form, check it with the application form's
 * rules (src/web/kit/application-form.tsx), change it through src/oauth/application-changes.ts
 * (who may, and the audit row), redirect (POST-redirect-GET, 303). Another user's application
 * is a 404 page, exactly as one that does not exist.
 */
import type { Context } from 'hono'
import { formParams, parsePk } from '../../lib/forms.ts'
import { config, db, tokenStore } from '../../lib/request-context.ts'
import {
  changeApplicationAs,
  createApplicationAs,
  deleteApplicationAs,
  isRefused,
  rotateSecretAs,
} from '../../oauth/application-changes.ts'
import { findOwnApplication, ownApplicationPages } from '../../oauth/applications.ts'
import {
  type ApplicationFormFields,
  type ApplicationFormValues,
  applicationValues,
  checkApplicationForm,
  NEW_APPLICATION,
  readApplicationForm,
} from '../kit/application-form.tsx'
import { ConfirmPage } from '../kit/confirm.tsx'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { forbidden, malformedForm, notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import { listPage } from '../kit/pagination.tsx'
import type { PageEnv } from '../kit/session.ts'
import { rememberNewSecret, takeNewSecret } from './new-secret-cookie.ts'
import {
  APPLICATIONS_PATH,
  ApplicationDetailPage,
  ApplicationFormPage,
  ApplicationListPage,
  applicationPath,
} from './views.tsx'

type PageContext = Context<PageEnv>

const REGISTER_PATH = `${APPLICATIONS_PATH}register/`
// DOT's register form starts with the authorization code grant ticked.
const NEW: ApplicationFormValues = { ...NEW_APPLICATION, grantTypes: ['authorization-code'] }

async function ownApplication(c: PageContext) {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findOwnApplication(db(c), c.var.user.id, id)
}

export async function listApplications(c: PageContext) {
  const page = await listPage(c, db(c), ownApplicationPages(db(c), c.var.user.id), config(c).pageSize)
  return page ? renderPrivatePage(c, <ApplicationListPage page={page} />) : notFound(c)
}

function fieldsFor(c: PageContext, mode: 'register' | 'update'): ApplicationFormFields {
  return { clientType: mode === 'register' ? 'choose' : 'show', maySkip: c.var.user.isSuperuser }
}

function formPage(
  c: PageContext,
  mode: 'register' | 'update',
  action: string,
  cancel: string,
  values: ApplicationFormValues,
  errors: FieldErrorMap = {},
  status: 200 | 400 | 403 = Object.keys(errors).length > 0 ? 400 : 200,
) {
  return renderPrivatePage(
    c,
    <ApplicationFormPage
      mode={mode}
      action={action}
      cancel={cancel}
      values={values}
      errors={errors}
      maySkip={c.var.user.isSuperuser}
    />,
    status,
  )
}

/** A refusal (src/accounts/rights.ts) shown on the form, under the field it concerns: 403. */
const refusal = (message: string): FieldErrorMap => ({ skip_authorization: [message] })

export function registerForm(c: PageContext) {
  return formPage(c, 'register', REGISTER_PATH, APPLICATIONS_PATH, NEW)
}

export async function register(c: PageContext) {
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const values = readApplicationForm(form, fieldsFor(c, 'register'), NEW)
  const checked = checkApplicationForm(values)
  if ('errors' in checked) return formPage(c, 'register', REGISTER_PATH, APPLICATIONS_PATH, values, checked.errors)
  const { settings } = checked
  const created = await createApplicationAs(db(c), c.var.user, {
    name: settings.name,
    clientType: settings.clientType,
    grantTypes: settings.grantTypes,
    redirectUris: settings.redirectUris,
    skipAuthorization: values.skipAuthorization,
    userId: c.var.user.id,
  })
  if ('refused' in created) {
    return formPage(c, 'register', REGISTER_PATH, APPLICATIONS_PATH, values, refusal(created.refused), 403)
  }
  if (created.clientSecret) await rememberNewSecret(c, c.var.user.id, created.id, created.clientSecret)
  return seeOther(c, applicationPath(created.id))
}

export async function applicationDetail(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return notFound(c)
  const newSecret = await takeNewSecret(c, c.var.user.id, application)
  return renderPrivatePage(c, <ApplicationDetailPage application={application} newSecret={newSecret} />)
}

export async function updateForm(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return notFound(c)
  const path = applicationPath(application.id)
  return formPage(c, 'update', `${path}update/`, path, applicationValues(application))
}

export async function update(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return notFound(c)
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const path = applicationPath(application.id)
  const values = readApplicationForm(form, fieldsFor(c, 'update'), applicationValues(application))
  // Only a superuser's form has the skip_authorization box: anyone else keeps what a superuser set
  // (until they move the redirect URIs: src/oauth/application-changes.ts).
  if (!c.var.user.isSuperuser) values.skipAuthorization = application.skipAuthorization
  const checked = checkApplicationForm(values)
  if ('errors' in checked) return formPage(c, 'update', `${path}update/`, path, values, checked.errors)
  const { settings } = checked
  const updated = await changeApplicationAs(tokenStore(c), c.var.user, application, {
    name: settings.name,
    grantTypes: settings.grantTypes,
    redirectUris: settings.redirectUris,
    skipAuthorization: values.skipAuthorization,
  })
  if (!updated) return notFound(c)
  if ('refused' in updated) {
    return formPage(c, 'update', `${path}update/`, path, values, refusal(updated.refused), 403)
  }
  return seeOther(c, path)
}

export async function deleteForm(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return notFound(c)
  const path = applicationPath(application.id)
  return renderPrivatePage(
    c,
    <ConfirmPage title={`Delete ${application.name}?`} action={`${path}delete/`} button="Delete" cancel={path}>
      <p>
        The application <strong>{application.name}</strong> and every token issued to it go for good: anything using its
        client id stops working now.
      </p>
    </ConfirmPage>,
  )
}

export async function deleteApplication(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return notFound(c)
  const refused = await deleteApplicationAs(tokenStore(c), c.var.user, application)
  return refused ? forbidden(c, refused.refused) : seeOther(c, APPLICATIONS_PATH)
}

export async function rotateSecretForm(c: PageContext) {
  const application = await ownApplication(c)
  // Public clients have no secret to replace.
  if (application?.clientType !== 'confidential') return notFound(c)
  const path = applicationPath(application.id)
  return renderPrivatePage(
    c,
    <ConfirmPage
      title={`Rotate the secret of ${application.name}?`}
      action={`${path}rotate-secret/`}
      button="Rotate secret"
      cancel={path}
    >
      <p>
        A new client secret is made and shown once. The current one stops working now: update every server that uses it.
      </p>
    </ConfirmPage>,
  )
}

export async function rotateSecret(c: PageContext) {
  const application = await ownApplication(c)
  const secret = application ? await rotateSecretAs(tokenStore(c), c.var.user, application) : null
  // Public clients have no secret to replace.
  if (!application || secret === null) return notFound(c)
  if (isRefused(secret)) return forbidden(c, secret.refused)
  await rememberNewSecret(c, c.var.user.id, application.id, secret)
  return seeOther(c, applicationPath(application.id))
}
