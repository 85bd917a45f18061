/**
 * @module
 * The one application form, for the user pages (DOT's register and update views) and the
 * operator console (add, change): its fields, reading them, and checking them with the settings
 * rules of the API and the CLI (src/oauth/application-rules.ts), worded as DRF words a form's
 * field errors. Who may change what is not the form's business: the handler asks
 * src/oauth/application-changes.ts. The form keeps what was typed when it is sent back.
 */

import { JWT_BEARER_GRANT } from '../../db/schema.ts'
import { type RawParams, single } from '../../lib/forms.ts'
import {
  applicationNameProblem,
  applicationProblems,
  MAX_APPLICATION_NAME_LENGTH,
} from '../../oauth/application-rules.ts'
import { APPLICATION_GRANTS, type ApplicationGrant, CLIENT_TYPES } from '../../oauth/applications.ts'
import {
  checked,
  describedBy,
  type FieldErrorMap,
  FieldErrors,
  FormActions,
  FormErrors,
  fieldClass,
  TextField,
} from './forms.tsx'

/** How a form names each grant. */
const GRANT_LABELS: Record<ApplicationGrant, string> = {
  'authorization-code': 'Authorization code',
  password: 'Resource owner password',
  'client-credentials': 'Client credentials',
  'urn:ietf:params:oauth:grant-type:device_code': 'Device code (RFC 8628)',
  'urn:ietf:params:oauth:grant-type:jwt-bearer': 'JWT bearer: ID-JAGs from trusted identity providers',
}

const CLIENT_TYPE_HELP: Record<(typeof CLIENT_TYPES)[number], string> = {
  confidential: 'runs on a server that can keep a secret',
  public: 'a browser or mobile app: no secret, PKCE instead',
}

/** The form's values as typed (kept on a refused submit). */
export type ApplicationFormValues = {
  name: string
  /** The owner's username (the console's add form); empty for none. */
  owner: string
  clientType: string
  grantTypes: string[]
  /** One URI per line, as typed. */
  redirectUris: string
  postLogoutRedirectUris: string
  skipAuthorization: boolean
  /** RFC 9126 require_pushed_authorization_requests (the console's form). */
  requirePushed: boolean
}

/** Which fields a form has. */
export type ApplicationFormFields = {
  /** The owner's username (the console's add form). */
  owner?: boolean
  /** Post-logout redirect URIs (the console). */
  postLogout?: boolean
  /** Whether the client type is chosen here, or only shown (DOT's update form). */
  clientType: 'choose' | 'show'
  /**
   * A superuser's form: skip_authorization and the jwt-bearer grant are theirs to decide
   * (src/accounts/rights.ts); other forms show neither box.
   */
  maySkip: boolean
  /** require_pushed_authorization_requests (the console). */
  pushed?: boolean
}

export const NEW_APPLICATION: ApplicationFormValues = {
  name: '',
  owner: '',
  clientType: 'confidential',
  grantTypes: [],
  redirectUris: '',
  postLogoutRedirectUris: '',
  skipAuthorization: false,
  requirePushed: false,
}

/** An application's settings as the form shows them. */
export function applicationValues(application: {
  name: string
  clientType: string
  grantTypes: readonly string[]
  redirectUris: readonly string[]
  postLogoutRedirectUris: readonly string[]
  skipAuthorization: boolean
  requirePushedAuthorizationRequests: boolean
}): ApplicationFormValues {
  return {
    name: application.name,
    owner: '',
    clientType: application.clientType,
    grantTypes: [...application.grantTypes],
    redirectUris: application.redirectUris.join('\n'),
    postLogoutRedirectUris: application.postLogoutRedirectUris.join('\n'),
    skipAuthorization: application.skipAuthorization,
    requirePushed: application.requirePushedAuthorizationRequests,
  }
}

/**
 * The posted form's values. A field the form does not have (`fields`) is not read: it keeps its
 * value in `base` (the application's, or a new one's), whatever a forged post sends.
 */
export function readApplicationForm(
  form: RawParams,
  fields: ApplicationFormFields,
  base: ApplicationFormValues,
): ApplicationFormValues {
  return {
    name: single(form, 'name') ?? '',
    owner: fields.owner ? (single(form, 'owner') ?? '').trim() : base.owner,
    clientType: fields.clientType === 'choose' ? (single(form, 'client_type') ?? '') : base.clientType,
    grantTypes: grantsOf(form, fields, base),
    redirectUris: single(form, 'redirect_uris') ?? '',
    postLogoutRedirectUris: fields.postLogout
      ? (single(form, 'post_logout_redirect_uris') ?? '')
      : base.postLogoutRedirectUris,
    // Read on every form: whether a tick from a form without the box counts is the handler's
    // decision (src/accounts/rights.ts refuses one that would turn silent consent on).
    skipAuthorization: checked(form, 'skip_authorization'),
    requirePushed: fields.pushed ? checked(form, 'require_pushed_authorization_requests') : base.requirePushed,
  }
}

/**
 * The grants ticked. A form without the jwt-bearer box (not a superuser's) keeps that grant when
 * `base` has it, so saving the form does not drop it; a forged tick that would add it is left for
 * src/accounts/rights.ts to refuse, as the skip box's is.
 */
function grantsOf(form: RawParams, fields: ApplicationFormFields, base: ApplicationFormValues): string[] {
  const ticked = form.authorization_grant_type ?? []
  const kept = !fields.maySkip && base.grantTypes.includes(JWT_BEARER_GRANT) && !ticked.includes(JWT_BEARER_GRANT)
  return kept ? [...ticked, JWT_BEARER_GRANT] : ticked
}

/** The settings a form that passed its checks gives. */
export type ApplicationFormSettings = {
  name: string
  clientType: (typeof CLIENT_TYPES)[number]
  grantTypes: ApplicationGrant[]
  redirectUris: string[]
  postLogoutRedirectUris: string[]
}

/** A textarea's URIs, one a line, each with its line number (as the person sees it). */
function uriLines(text: string): { uri: string; line: number }[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((uri, index) => ({ uri: uri.trim(), line: index + 1 }))
    .filter(({ uri }) => uri !== '')
}

// DRF's ChoiceField message.
const CHOICE = 'Select a valid choice.'

/**
 * The form's settings checked with the API's rules, or every field error: DRF's words for a
 * blank, too long or unknown value, then application-rules.ts's, a URI's under its field with
 * its line number.
 */
export function checkApplicationForm(
  values: ApplicationFormValues,
): { settings: ApplicationFormSettings } | { errors: FieldErrorMap } {
  const errors: FieldErrorMap = {}
  const add = (field: string, message: string) => {
    errors[field] = [...(errors[field] ?? []), message]
  }
  const name = values.name.trim()
  if (name === '') add('name', 'This field may not be blank.')
  else if (name.length > MAX_APPLICATION_NAME_LENGTH) {
    add('name', `Ensure this field has no more than ${MAX_APPLICATION_NAME_LENGTH} characters.`)
  } else {
    const problem = applicationNameProblem(name)
    if (problem) add('name', problem)
  }
  const clientType = CLIENT_TYPES.find((type) => type === values.clientType)
  if (!clientType) add('client_type', CHOICE)
  const grantTypes = values.grantTypes.map((grant) => APPLICATION_GRANTS.find((known) => known === grant))
  if (grantTypes.includes(undefined)) add('authorization_grant_type', CHOICE)
  const redirects = uriLines(values.redirectUris)
  const postLogout = uriLines(values.postLogoutRedirectUris)
  const settings: ApplicationFormSettings = {
    name,
    clientType: clientType ?? 'confidential',
    grantTypes: grantTypes.filter((grant) => grant !== undefined),
    redirectUris: redirects.map(({ uri }) => uri),
    postLogoutRedirectUris: postLogout.map(({ uri }) => uri),
  }
  for (const [key, messages] of Object.entries(applicationProblems(settings) ?? {})) {
    // `redirect_uris.2` → the message under the redirect URIs field, with the URI's line.
    const [field, index] = key.split('.')
    const lines = field === 'redirect_uris' ? redirects : postLogout
    for (const message of messages)
      add(field, index === undefined ? message : `Line ${lines[Number(index)].line}: ${message}`)
  }
  return Object.keys(errors).length > 0 ? { errors } : { settings }
}

/** The whole form: its fields, the errors of a refused submit under each, Save and Cancel. */
export function ApplicationForm(props: {
  action: string
  cancel: string
  submit: string
  values: ApplicationFormValues
  errors: FieldErrorMap
  fields: ApplicationFormFields
}) {
  const { values, errors, fields } = props
  return (
    <form method="post" action={props.action}>
      <FormErrors errors={errors} />
      <TextField
        field="name"
        label="Name"
        value={values.name}
        maxlength={MAX_APPLICATION_NAME_LENGTH}
        required
        errors={errors}
      />
      {fields.owner ? (
        <TextField
          field="owner"
          label="Owner"
          value={values.owner}
          help="A username; empty for none (the operator's)."
          errors={errors}
        />
      ) : null}
      {fields.clientType === 'choose' ? (
        <fieldset class={fieldClass(errors.client_type)}>
          <legend class="label">Client type</legend>
          {CLIENT_TYPES.map((type) => (
            <label class="choice">
              <input type="radio" name="client_type" value={type} checked={values.clientType === type} />
              <span>
                {type === 'confidential' ? 'Confidential' : 'Public'}{' '}
                <span class="muted">— {CLIENT_TYPE_HELP[type]}</span>
              </span>
            </label>
          ))}
          <FieldErrors field="client_type" errors={errors.client_type} />
        </fieldset>
      ) : (
        <div class="field">
          <span class="label">Client type</span>
          <p>{values.clientType}</p>
        </div>
      )}
      <fieldset class={fieldClass(errors.authorization_grant_type)}>
        <legend class="label">Grant types</legend>
        {APPLICATION_GRANTS.filter((grant) => fields.maySkip || grant !== JWT_BEARER_GRANT).map((grant) => (
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
        {!fields.maySkip && values.grantTypes.includes(JWT_BEARER_GRANT) ? (
          <p class="help">
            Also {GRANT_LABELS[JWT_BEARER_GRANT]} <span class="mono">{JWT_BEARER_GRANT}</span> (superusers decide it).
          </p>
        ) : null}
        <FieldErrors field="authorization_grant_type" errors={errors.authorization_grant_type} />
      </fieldset>
      <UriField field="redirect_uris" label="Redirect URIs" value={values.redirectUris} rows={3} errors={errors} />
      {fields.postLogout ? (
        <UriField
          field="post_logout_redirect_uris"
          label="Post-logout redirect URIs"
          value={values.postLogoutRedirectUris}
          rows={2}
          errors={errors}
        />
      ) : null}
      {fields.maySkip ? (
        <div class={fieldClass(errors.skip_authorization)}>
          <label class="choice">
            <input type="checkbox" name="skip_authorization" value="on" checked={values.skipAuthorization} />
            <span>Skip the consent page</span>
          </label>
          <p class="help warning">
            Superusers only: the consent page is never shown, so any site that knows the client_id gets tokens for a
            logged-in user at its redirect URIs. Only for applications you run.
          </p>
          <FieldErrors field="skip_authorization" errors={errors.skip_authorization} />
        </div>
      ) : (
        <div class="field">
          <span class="label">Consent page</span>
          <p>{values.skipAuthorization ? 'Skipped' : 'Shown'} (superusers decide it).</p>
          <FieldErrors field="skip_authorization" errors={errors.skip_authorization} />
        </div>
      )}
      {fields.pushed ? (
        <div class="field">
          <label class="choice">
            <input
              type="checkbox"
              name="require_pushed_authorization_requests"
              value="on"
              checked={values.requirePushed}
            />
            <span>Require pushed authorization requests</span>
          </label>
          <p class="help">
            RFC 9126: its authorization requests must be pushed to /o/par/ first; one sent in the address bar is
            refused.
          </p>
        </div>
      ) : null}
      <FormActions submit={props.submit} cancel={props.cancel} />
    </form>
  )
}

function UriField(props: { field: string; label: string; value: string; rows: number; errors: FieldErrorMap }) {
  const { field, errors } = props
  return (
    <div class={fieldClass(errors[field])}>
      <label for={field}>{props.label}</label>
      <textarea
        id={field}
        name={field}
        rows={props.rows}
        spellcheck={false}
        autocapitalize="none"
        {...describedBy(field, errors)}
      >
        {props.value}
      </textarea>
      <p class="help">One per line: https, or http for localhost and 127.0.0.1 only; no fragment.</p>
      <FieldErrors field={field} errors={errors[field]} />
    </div>
  )
}
