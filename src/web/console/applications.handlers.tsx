/**
 * @module
 * The console's applications (DOT's ApplicationAdmin): every owner's, searchable; detail with
 * live tokens; create; edit (name, redirect and post-logout URIs, grants, client type,
 * skip_authorization); rotate the secret (shown once); delete. The form and its rules are the
 * user pages' (src/web/kit/application-form.tsx). Who may change what (src/accounts/rights.ts)
 * and the audit row written in each change's batch are src/oauth/application-changes.ts's; what
 * the rules keep for superusers is a 403 page for other staff.
 */
import type { Context } from 'hono'
import { findUserById, findUserByUsername } from '../../accounts/users.ts'
import type { Application } from '../../db/schema.ts'
import { formParams } from '../../lib/forms.ts'
import { db, tokenStore } from '../../lib/request-context.ts'
import {
  changeApplicationAs,
  createApplicationAs,
  deleteApplicationAs,
  hasSecretToRotate,
  isRefused,
  rotateSecretAs,
} from '../../oauth/application-changes.ts'
import { APPLICATION_ORDERS, applicationSearch } from '../../oauth/applications.ts'
import { listIdJagPolicies } from '../../oauth/id-jag/policies.ts'
import { listLiveTokens } from '../../tokens/lists.ts'
import {
  type ApplicationFormFields,
  type ApplicationFormValues,
  applicationValues,
  checkApplicationForm,
  NEW_APPLICATION,
  readApplicationForm,
} from '../kit/application-form.tsx'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { badRequest, forbidden, malformedForm, notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import {
  APPLICATION_NOTICES,
  ApplicationDetailPage,
  ApplicationFormPage,
  ApplicationListPage,
} from './applications.views.tsx'
import { guardedApplication, pathApplication, queryOrder, queryText, searchList } from './request.ts'
import { APPLICATIONS, applicationPath, ConsoleConfirmPage } from './shell.tsx'
import { TOKEN_LIST_LIMIT } from './tokens.views.tsx'

type ConsoleContext = Context<PageEnv>

export async function applicationList(c: ConsoleContext) {
  const sort = await queryOrder(c, APPLICATION_ORDERS)
  if (sort instanceof Response) return sort
  const search = await searchList(c, (database, query) => applicationSearch(database, query, sort.order))
  if (!search) return notFound(c)
  const notice = APPLICATION_NOTICES[queryText(c, 'notice')]
  return renderPrivatePage(
    c,
    <ApplicationListPage staff={c.var.user} notice={notice} search={search} sort={sort} />,
    search.problem ? 400 : 200,
  )
}

async function detailPage(c: ConsoleContext, application: Application, secret: string | null, status: 200 | 201) {
  const [tokens, owner, rules] = await Promise.all([
    listLiveTokens(tokenStore(c), { applicationId: application.id }, TOKEN_LIST_LIMIT),
    application.userId === null ? undefined : findUserById(db(c), application.userId),
    // The ID-JAG exchange rules are superusers' (src/accounts/rights.ts enterpriseRefusal).
    c.var.user.isSuperuser ? listIdJagPolicies(db(c), application.id) : null,
  ])
  return renderPrivatePage(
    c,
    <ApplicationDetailPage
      staff={c.var.user}
      application={application}
      owner={owner}
      notice={APPLICATION_NOTICES[queryText(c, 'notice')]}
      secret={secret}
      tokens={tokens}
      rules={rules}
    />,
    status,
  )
}

export async function applicationDetail(c: ConsoleContext) {
  const application = await pathApplication(c)
  return application ? detailPage(c, application, null, 200) : notFound(c)
}

function fieldsFor(c: ConsoleContext, withOwner: boolean): ApplicationFormFields {
  return { owner: withOwner, postLogout: true, clientType: 'choose', maySkip: c.var.user.isSuperuser, pushed: true }
}

function addForm(c: ConsoleContext, values: ApplicationFormValues, errors: FieldErrorMap, status: 200 | 400) {
  return renderPrivatePage(
    c,
    <ApplicationFormPage
      staff={c.var.user}
      title="Add application"
      action={`${APPLICATIONS}add/`}
      cancel={APPLICATIONS}
      values={values}
      errors={errors}
      withOwner
    />,
    status,
  )
}

export function addApplicationPage(c: ConsoleContext) {
  return addForm(c, NEW_APPLICATION, {}, 200)
}

export async function addApplication(c: ConsoleContext) {
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const values = readApplicationForm(form, fieldsFor(c, true), NEW_APPLICATION)
  const checked = checkApplicationForm(values)
  const owner = values.owner ? await findUserByUsername(db(c), values.owner) : undefined
  const errors = 'errors' in checked ? { ...checked.errors } : {}
  if (values.owner && !owner) errors.owner = ['There is no user with that username.']
  if (!('settings' in checked) || Object.keys(errors).length > 0) return addForm(c, values, errors, 400)
  const created = await createApplicationAs(db(c), c.var.user, {
    ...checked.settings,
    userId: owner?.id ?? null,
    skipAuthorization: values.skipAuthorization,
    requirePushedAuthorizationRequests: values.requirePushed,
  })
  if ('refused' in created) return forbidden(c, created.refused)
  // The one time the secret is shown: the page answers the POST itself (no redirect to lose it).
  return detailPage(c, created, created.clientSecret, 201)
}

function changeForm(
  c: ConsoleContext,
  application: Application,
  values: ApplicationFormValues,
  errors: FieldErrorMap,
  status: 200 | 400,
) {
  const path = applicationPath(application.id)
  return renderPrivatePage(
    c,
    <ApplicationFormPage
      staff={c.var.user}
      title={`Edit ${application.name}`}
      action={`${path}change/`}
      cancel={path}
      values={values}
      errors={errors}
      withOwner={false}
    />,
    status,
  )
}

export async function changeApplicationPage(c: ConsoleContext) {
  const application = await guardedApplication(c, 'view-change')
  if (application instanceof Response) return application
  return changeForm(c, application, applicationValues(application), {}, 200)
}

export async function changeApplication(c: ConsoleContext) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const values = readApplicationForm(form, fieldsFor(c, false), applicationValues(application))
  const checked = checkApplicationForm(values)
  if ('errors' in checked) return changeForm(c, application, values, checked.errors, 400)
  const updated = await changeApplicationAs(tokenStore(c), c.var.user, application, {
    ...checked.settings,
    // Only a superuser's form has the box: anyone else's leaves the setting as it is (a forged
    // tick that would turn it on is refused).
    skipAuthorization: c.var.user.isSuperuser
      ? values.skipAuthorization
      : values.skipAuthorization || application.skipAuthorization,
    requirePushedAuthorizationRequests: values.requirePushed,
  })
  if (!updated) return notFound(c)
  if ('refused' in updated) return forbidden(c, updated.refused)
  // A client made confidential got a secret: shown on this answer, once.
  if (updated.clientSecret) return detailPage(c, updated.application, updated.clientSecret, 200)
  return seeOther(c, applicationPath(application.id), 'changed')
}

/** 400: a client with no secret to rotate (a public one, or one that authenticates with its keys alone). */
function noSecret(c: ConsoleContext, application: Application) {
  return badRequest(
    c,
    application.clientType === 'public'
      ? 'Public clients have no client secret.'
      : 'This client authenticates with its keys and holds no secret: rotate its keys instead (Replace keys on its page).',
  )
}

export async function rotateSecretPage(c: ConsoleContext) {
  const application = await guardedApplication(c, 'rotate')
  if (application instanceof Response) return application
  if (!hasSecretToRotate(application)) return noSecret(c, application)
  const path = applicationPath(application.id)
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title={`Rotate the secret of ${application.name}?`}
      action={`${path}rotate-secret/`}
      cancel={path}
      button="Rotate secret"
    >
      <p>
        A new client secret is made and shown once; the current one stops working at once. Tokens already issued stay
        valid.
      </p>
    </ConsoleConfirmPage>,
  )
}

export async function rotateSecret(c: ConsoleContext) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const secret = await rotateSecretAs(tokenStore(c), c.var.user, application)
  if (isRefused(secret)) return forbidden(c, secret.refused)
  if (secret === null) return noSecret(c, application)
  return detailPage(c, application, secret, 200)
}

export async function deleteApplicationPage(c: ConsoleContext) {
  const application = await guardedApplication(c, 'delete')
  if (application instanceof Response) return application
  const path = applicationPath(application.id)
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title={`Delete ${application.name}?`}
      action={`${path}delete/`}
      cancel={path}
      button="Yes, delete"
    >
      <p>The application is deleted with every token and authorization code issued to it. This cannot be undone.</p>
    </ConsoleConfirmPage>,
  )
}

export async function removeApplication(c: ConsoleContext) {
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await deleteApplicationAs(tokenStore(c), c.var.user, application)
  if (refused) return forbidden(c, refused.refused)
  return seeOther(c, APPLICATIONS, 'deleted')
}
