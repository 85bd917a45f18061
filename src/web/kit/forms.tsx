/**
 * @module
 * What every form shares: a field's errors under it (named for its input's aria-describedby),
 * the line above a form that did not pass, a one-line notice after an action, a button that
 * POSTs, the log-out button, and reading a checkbox.
 */
import { type RawParams, single } from '../../lib/forms.ts'
import { SITE_PATHS } from './paths.ts'

/** Field errors by field name, as DRF's `{"field": ["message", …]}`. */
export type FieldErrorMap = Record<string, string[]>

/** The id of a field's errors, for its input's aria-describedby. */
const errorsId = (field: string) => `${field}-errors`

/** The attributes that tie an input to its errors: invalid, and described by them. */
export function describedBy(field: string, errors: FieldErrorMap) {
  return errors[field]?.length
    ? { 'aria-invalid': 'true' as const, 'aria-describedby': errorsId(field) }
    : { 'aria-invalid': undefined, 'aria-describedby': undefined }
}

/** `field`, plus `invalid` when the field has errors (the stylesheet marks its inputs). */
export function fieldClass(errors: string[] | undefined): string {
  return errors?.length ? 'field invalid' : 'field'
}

/** The messages of one field, under it. */
export function FieldErrors(props: { field: string; errors?: string[] }) {
  if (!props.errors || props.errors.length === 0) return null
  return (
    <p class="field-error" id={errorsId(props.field)}>
      {props.errors.map((message, index) => (
        <>
          {index > 0 ? <br /> : null}
          {message}
        </>
      ))}
    </p>
  )
}

/**
 * An input with its label, help and errors (marked invalid when it has some). `value` is what
 * was typed (never for a password: the browser's field stays empty after a refused submit).
 */
export function TextField(props: {
  field: string
  label: string
  errors: FieldErrorMap
  type?: 'text' | 'email' | 'password'
  value?: string
  help?: string
  required?: boolean
  maxlength?: number
  autocomplete?: string
}) {
  const { field, errors } = props
  return (
    <div class={fieldClass(errors[field])}>
      <label for={field}>{props.label}</label>
      <input
        type={props.type ?? 'text'}
        id={field}
        name={field}
        value={props.value}
        maxlength={props.maxlength}
        autocomplete={props.autocomplete}
        required={props.required}
        {...describedBy(field, errors)}
      />
      {props.help ? <p class="help">{props.help}</p> : null}
      <FieldErrors field={field} errors={errors[field]} />
    </div>
  )
}

/** Above a form sent back with errors. */
export function FormErrors(props: { errors: FieldErrorMap }) {
  if (!Object.values(props.errors).some((messages) => messages.length > 0)) return null
  return (
    <p class="form-errors" role="alert">
      Please correct the errors below.
    </p>
  )
}

/** A refusal above a form (a wrong password, an unknown code): announced to screen readers. */
export function Alert(props: { text?: string }) {
  return props.text ? (
    <p class="error" role="alert">
      {props.text}
    </p>
  ) : null
}

/** A form's buttons: what it does (`variant`: primary, or danger for what cannot be undone) and a way out. */
export function FormActions(props: { submit: string; cancel: string; variant?: 'primary' | 'danger' }) {
  return (
    <div class="actions">
      <button type="submit" class={`button ${props.variant ?? 'primary'}`}>
        {props.submit}
      </button>
      <a class="button secondary" href={props.cancel}>
        Cancel
      </a>
    </div>
  )
}

/** Approve or deny, as two submit buttons of one field: approving is the primary action, not the default look. */
export function DecisionButtons(props: { name: string; approve: string; deny: string }) {
  return (
    <div class="actions">
      <button type="submit" name={props.name} value={props.approve} class="button primary">
        Approve
      </button>
      <button type="submit" name={props.name} value={props.deny} class="button secondary">
        Deny
      </button>
    </div>
  )
}

/** A one-line outcome shown after an action (`?notice=` on the page it returns to). */
export function Notice(props: { text?: string }) {
  return props.text ? (
    <p class="notice" role="status">
      {props.text}
    </p>
  ) : null
}

/** A button that POSTs to `action` (a state change from a list or detail page). */
export function PostButton(props: {
  action: string
  label: string
  variant: 'primary' | 'secondary' | 'danger'
  small?: boolean
}) {
  return (
    <form method="post" action={props.action} class="inline">
      <button type="submit" class={`button ${props.variant}${props.small ? ' small' : ''}`}>
        {props.label}
      </button>
    </form>
  )
}

/** Logging out changes state: a POST (as Django 5), never a link. */
export function LogoutForm() {
  return (
    <form method="post" action={SITE_PATHS.logout} class="actions">
      <button type="submit" class="button secondary">
        Log out
      </button>
    </form>
  )
}

/** Whether a checkbox was ticked (sent, whatever its value). */
export function checked(form: RawParams, name: string): boolean {
  return single(form, name) !== undefined
}
