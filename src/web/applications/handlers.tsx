/**
 * @module
 * The user pages' handlers (DOT's ApplicationRegistration/Detail/Update/Delete views and
 * AuthorizedTokens views): read the form, check it with the management API's own schemas and
 * rules, call the domain function, redirect (POST-redirect-GET, 303). The caller is the
 * logged-in user (`c.var.user`, set by the router's loginRequired); another user's application
 * or token is a 404 page, exactly as one that does not exist.
 */
import type { Context } from 'hono'
import type { User } from '../db/schema.ts'
import { fieldErrors } from '../http/drf.ts'
import { html, malformedFormPage, renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { formParams, parsePk, type RawParams, single } from '../lib/forms.ts'
import { config, db, tokenStore } from '../lib/request-context.ts'
import { findAuthorizedToken, listAuthorizedTokens, revokeAuthorizedToken } from '../tokens/store.ts'
import type { AppEnv } from '../types.ts'
import {
  APPLICATIONS_PATH,
  ApplicationDetailPage,
  ApplicationFormPage,
  type ApplicationFormValues,
  ApplicationListPage,
  applicationPath,
  type FieldErrors,
} from '../views/applications.tsx'
import { AUTHORIZED_TOKENS_PATH, AuthorizedTokenSummary, AuthorizedTokensPage } from '../views/authorized-tokens.tsx'
import { ConfirmPage } from '../views/confirm.tsx'
import { ErrorPage } from '../views/error.tsx'
import {
  changeApplicationAs,
  createApplicationAs,
  deleteApplicationAs,
  isRefused,
  rotateSecretAs,
} from './application-changes.ts'
import { applicationProblems } from './application-rules.ts'
import { findOwnApplication, listOwnApplications } from './applications.ts'
import { ApplicationInputSchema, ApplicationPatchSchema } from './management.routes.ts'
import { rememberNewSecret, takeNewSecret } from './new-secret-cookie.ts'

/** The user pages' environment: behind loginRequired, the logged-in user. */
export type UserPageEnv = AppEnv & { Variables: { user: User } }
type PageContext = Context<UserPageEnv>

// Pages about the user's own clients and grants: no cache keeps them.
const PRIVATE = NO_STORE_HEADERS

function page(c: PageContext, node: Parameters<typeof renderPage>[1], status: 200 | 400 | 403 = 200) {
  return renderPage(c, node, status, PRIVATE)
}

/** 403: what src/accounts/rights.ts keeps for someone else. */
function forbiddenPage(c: PageContext, description: string) {
  return page(c, <ErrorPage title="Forbidden" error="permission_denied" description={description} />, 403)
}

/** POST-redirect-GET: 303 makes the browser GET the target. */
function seeOther(c: PageContext, location: string) {
  return c.body(null, 303, { Location: location, ...NO_STORE_HEADERS })
}

/** `?page=N` (from 1); anything else is the first page. */
function pageSlice(c: PageContext) {
  const size = config(c).pageSize
  const requested = parsePk(c.req.query('page') ?? '1') ?? 1
  const number = Math.max(1, Math.min(requested, 10_000))
  // One row more than a page tells whether there is a next one.
  return { number, size, slice: { limit: size + 1, offset: (number - 1) * size } }
}

function describeScope(c: PageContext) {
  const scopes = config(c).scopes
  return (name: string) => scopes[name] ?? name
}

async function ownApplication(c: PageContext) {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findOwnApplication(db(c), c.var.user.id, id)
}

export async function listApplications(c: PageContext) {
  const { number, size, slice } = pageSlice(c)
  const rows = await listOwnApplications(db(c), c.var.user.id, slice)
  return page(c, <ApplicationListPage applications={rows.slice(0, size)} page={number} hasNext={rows.length > size} />)
}

const NEW_APPLICATION: ApplicationFormValues = {
  name: '',
  clientType: 'confidential',
  grantTypes: ['authorization-code'],
  redirectUris: '',
  skipAuthorization: false,
}

function formValues(form: RawParams, clientType: string): ApplicationFormValues {
  return {
    name: single(form, 'name') ?? '',
    clientType,
    grantTypes: form.authorization_grant_type ?? [],
    redirectUris: single(form, 'redirect_uris') ?? '',
    skipAuthorization: single(form, 'skip_authorization') === 'on',
  }
}

/** The form as the API's JSON body: one redirect URI per non-empty line, each line as typed (trimmed). */
function apiInput(values: ApplicationFormValues) {
  return {
    name: values.name,
    authorization_grant_type: values.grantTypes,
    redirect_uris: values.redirectUris
      .split(/\r\n|\r|\n/)
      .map((line) => line.trim())
      .filter(Boolean),
    skip_authorization: values.skipAuthorization,
  }
}

/** The API's checks, in its order: the schema, then the settings rules (who may is checked when changing). */
function problemsOf(
  parsed: { success: true } | { success: false; error: Parameters<typeof fieldErrors>[0] },
  input: unknown,
  settings: Parameters<typeof applicationProblems>[0] | null,
): FieldErrors | null {
  if (!parsed.success) return fieldErrors(parsed.error, input)
  return settings ? applicationProblems(settings) : null
}

function applicationForm(
  c: PageContext,
  mode: 'register' | 'update',
  action: string,
  cancelHref: string,
  values: ApplicationFormValues,
  errors: FieldErrors = {},
  status: 200 | 400 | 403 = Object.keys(errors).length > 0 ? 400 : 200,
) {
  return page(
    c,
    <ApplicationFormPage
      mode={mode}
      action={action}
      cancelHref={cancelHref}
      values={values}
      errors={errors}
      maySkip={c.var.user.isSuperuser}
    />,
    status,
  )
}

/** A refusal (src/accounts/rights.ts) shown on the form, under the field it concerns: 403. */
const refusal = (message: string): FieldErrors => ({ skip_authorization: [message] })

const REGISTER_PATH = `${APPLICATIONS_PATH}register/`

export function registerForm(c: PageContext) {
  return applicationForm(c, 'register', REGISTER_PATH, APPLICATIONS_PATH, NEW_APPLICATION)
}

export async function register(c: PageContext) {
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const values = formValues(form, single(form, 'client_type') ?? '')
  const input = { ...apiInput(values), client_type: values.clientType }
  const parsed = ApplicationInputSchema.safeParse(input)
  const problems = problemsOf(
    parsed,
    input,
    parsed.success
      ? {
          clientType: parsed.data.client_type,
          grantTypes: parsed.data.authorization_grant_type,
          redirectUris: parsed.data.redirect_uris,
        }
      : null,
  )
  if (problems || !parsed.success) {
    return applicationForm(c, 'register', REGISTER_PATH, APPLICATIONS_PATH, values, problems ?? {})
  }
  const created = await createApplicationAs(db(c), c.var.user, {
    name: parsed.data.name,
    clientType: parsed.data.client_type,
    grantTypes: parsed.data.authorization_grant_type,
    redirectUris: parsed.data.redirect_uris,
    skipAuthorization: parsed.data.skip_authorization,
    userId: c.var.user.id,
  })
  if ('refused' in created) {
    return applicationForm(c, 'register', REGISTER_PATH, APPLICATIONS_PATH, values, refusal(created.refused), 403)
  }
  if (created.clientSecret) await rememberNewSecret(c, c.var.user.id, created.id, created.clientSecret)
  return seeOther(c, applicationPath(created.id))
}

export async function applicationDetail(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return html.notFound(c)
  const newSecret = await takeNewSecret(c, c.var.user.id, application)
  return page(c, <ApplicationDetailPage application={application} newSecret={newSecret} />)
}

export async function updateForm(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return html.notFound(c)
  const path = applicationPath(application.id)
  return applicationForm(c, 'update', `${path}update/`, path, {
    name: application.name,
    clientType: application.clientType,
    grantTypes: application.grantTypes,
    redirectUris: application.redirectUris.join('\n'),
    skipAuthorization: application.skipAuthorization,
  })
}

export async function update(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return html.notFound(c)
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const path = applicationPath(application.id)
  // Only a superuser's form has the skip_authorization box: anyone else keeps what a superuser set
  // (until they move the redirect URIs: src/oauth/application-changes.ts).
  const values = formValues(form, application.clientType)
  if (!c.var.user.isSuperuser) values.skipAuthorization = application.skipAuthorization
  const input = apiInput(values)
  const parsed = ApplicationPatchSchema.safeParse(input)
  const problems = problemsOf(
    parsed,
    input,
    parsed.success
      ? {
          clientType: application.clientType,
          grantTypes: parsed.data.authorization_grant_type ?? [],
          redirectUris: parsed.data.redirect_uris ?? [],
        }
      : null,
  )
  if (problems || !parsed.success) return applicationForm(c, 'update', `${path}update/`, path, values, problems ?? {})
  const updated = await changeApplicationAs(db(c), c.var.user, application, {
    name: parsed.data.name,
    grantTypes: parsed.data.authorization_grant_type,
    redirectUris: parsed.data.redirect_uris,
    skipAuthorization: parsed.data.skip_authorization,
  })
  if (!updated) return html.notFound(c)
  if ('refused' in updated) {
    return applicationForm(c, 'update', `${path}update/`, path, values, refusal(updated.refused), 403)
  }
  return seeOther(c, path)
}

export async function deleteForm(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return html.notFound(c)
  const path = applicationPath(application.id)
  return page(
    c,
    <ConfirmPage
      title={`Delete ${application.name}?`}
      action={`${path}delete/`}
      confirmLabel="Delete"
      cancelHref={path}
    >
      <p>
        The application <strong>{application.name}</strong> and every token issued to it go for good: anything using its
        client id stops working now.
      </p>
    </ConfirmPage>,
  )
}

export async function deleteApplication(c: PageContext) {
  const application = await ownApplication(c)
  if (!application) return html.notFound(c)
  const refused = await deleteApplicationAs(tokenStore(c), c.var.user, application)
  return refused ? forbiddenPage(c, refused.refused) : seeOther(c, APPLICATIONS_PATH)
}

export async function rotateSecretForm(c: PageContext) {
  const application = await ownApplication(c)
  // Public clients have no secret to replace.
  if (application?.clientType !== 'confidential') return html.notFound(c)
  const path = applicationPath(application.id)
  return page(
    c,
    <ConfirmPage
      title={`Rotate the secret of ${application.name}?`}
      action={`${path}rotate-secret/`}
      confirmLabel="Rotate secret"
      cancelHref={path}
    >
      <p>
        A new client secret is made and shown once. The current one stops working now: update every server that uses it.
      </p>
    </ConfirmPage>,
  )
}

export async function rotateSecret(c: PageContext) {
  const application = await ownApplication(c)
  const secret = application ? await rotateSecretAs(db(c), c.var.user, application) : null
  // Public clients have no secret to replace.
  if (!application || secret === null) return html.notFound(c)
  if (isRefused(secret)) return forbiddenPage(c, secret.refused)
  await rememberNewSecret(c, c.var.user.id, application.id, secret)
  return seeOther(c, applicationPath(application.id))
}

export async function listTokens(c: PageContext) {
  const { number, size, slice } = pageSlice(c)
  const rows = await listAuthorizedTokens(db(c), c.var.user.id, slice)
  return page(
    c,
    <AuthorizedTokensPage
      tokens={rows.slice(0, size)}
      describeScope={describeScope(c)}
      page={number}
      hasNext={rows.length > size}
    />,
  )
}

export async function revokeTokenForm(c: PageContext) {
  const id = parsePk(c.req.param('id') ?? '')
  const token = id === null ? undefined : await findAuthorizedToken(db(c), c.var.user.id, id)
  if (!token) return html.notFound(c)
  return page(
    c,
    <ConfirmPage
      title={`Revoke ${token.applicationName}?`}
      action={`${AUTHORIZED_TOKENS_PATH}${token.id}/delete/`}
      confirmLabel="Revoke"
      cancelHref={AUTHORIZED_TOKENS_PATH}
    >
      <AuthorizedTokenSummary token={token} describeScope={describeScope(c)} />
    </ConfirmPage>,
  )
}

export async function revokeToken(c: PageContext) {
  const id = parsePk(c.req.param('id') ?? '')
  const revoked = id !== null && (await revokeAuthorizedToken(tokenStore(c), c.var.user.id, id))
  return revoked ? seeOther(c, AUTHORIZED_TOKENS_PATH) : html.notFound(c)
}
