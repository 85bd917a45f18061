/**
 * @module
 * The trusted identity providers' pages (enterprise-managed authorization: whose ID-JAGs the
 * jwt-bearer grant accepts, src/oauth/id-jag/trusted-idps.ts): the list, and the form that adds
 * one or changes what is kept for it (its keys, the rule naming the local user).
 */
import type { TrustedIdentityProvider, User } from '../../db/schema.ts'
import { listKeys } from '../../oauth/client-keys.ts'
import { USER_FIELDS } from '../../oauth/id-jag/trusted-idps.ts'
import {
  type FieldErrorMap,
  FieldErrors,
  FormActions,
  FormErrors,
  fieldClass,
  Notice,
  TextField,
} from '../kit/forms.tsx'
import { Time } from '../kit/time.tsx'
import { KeyFields, type KeyFieldValues, KeyList } from './key-fields.tsx'
import { ConsolePage, IDENTITY_PROVIDERS, identityProviderPath, LOG } from './shell.tsx'

export const IDP_NOTICES: Record<string, string> = {
  trusted: 'The identity provider is trusted.',
  changed: 'The identity provider was changed.',
  removed: 'The identity provider is no longer trusted.',
}

/** The form's fields as typed. */
export type IdpFormValues = KeyFieldValues & { issuer: string; userClaim: string; match: string }

export const NEW_IDP: IdpFormValues = { issuer: '', jwks: '', jwksUri: '', userClaim: 'email', match: 'email' }

/** What is kept for a provider, as its change form shows it (public keys: nothing to hide). */
export function idpValues(provider: TrustedIdentityProvider): IdpFormValues {
  return {
    issuer: provider.issuer,
    jwks: provider.jwks === null ? '' : JSON.stringify(JSON.parse(provider.jwks), null, 2),
    jwksUri: provider.jwksUri ?? '',
    userClaim: provider.userClaim,
    match: provider.userField,
  }
}

const MATCH_LABELS: Record<(typeof USER_FIELDS)[number], string> = {
  email: 'a user’s e-mail address',
  username: 'a user’s username',
}

export function IdentityProviderListPage(props: {
  staff: User
  notice?: string
  providers: TrustedIdentityProvider[]
}) {
  const { providers } = props
  return (
    <ConsolePage title="Trusted identity providers" staff={props.staff}>
      <Notice text={props.notice} />
      <p>
        Enterprise-managed authorization: an application allowed the jwt-bearer grant gets tokens, without a consent
        page, for the user an ID-JAG from one of these identity providers names. Superusers only.
      </p>
      <p>
        <a class="button primary" href={`${IDENTITY_PROVIDERS}add/`}>
          Add identity provider
        </a>
      </p>
      <p>
        {providers.length} {providers.length === 1 ? 'identity provider' : 'identity providers'}
      </p>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Issuer</th>
            <th scope="col">Keys</th>
            <th scope="col">Users</th>
            <th scope="col">Added</th>
          </tr>
        </thead>
        <tbody>
          {providers.map((provider) => (
            <tr>
              <td data-label="Issuer" class="long">
                <a href={identityProviderPath(provider.id)}>{provider.issuer}</a>
              </td>
              <td data-label="Keys" class="long">
                {provider.jwksUri ?? `${provider.jwks === null ? 0 : listKeys(provider.jwks).length} registered`}
              </td>
              <td data-label="Users">
                <code>{provider.userClaim}</code> = {provider.userField}
              </td>
              <td data-label="Added">
                <Time value={provider.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ConsolePage>
  )
}

/** The add form (no provider yet) or the change form of `provider` (its issuer fixed). */
export function IdentityProviderFormPage(props: {
  staff: User
  provider?: TrustedIdentityProvider
  values: IdpFormValues
  errors: FieldErrorMap
  notice?: string
}) {
  const { provider, values, errors } = props
  const action = provider ? identityProviderPath(provider.id) : `${IDENTITY_PROVIDERS}add/`
  return (
    <ConsolePage
      title={provider ? `Identity provider ${provider.issuer}` : 'Add identity provider'}
      staff={props.staff}
    >
      <Notice text={props.notice} />
      {provider ? (
        <>
          <dl class="details">
            <dt>Issuer</dt>
            <dd>
              <code>{provider.issuer}</code>
            </dd>
            <dt>Added</dt>
            <dd>
              <Time value={provider.createdAt} />
            </dd>
          </dl>
          <KeyList keys={provider.jwks === null ? null : listKeys(provider.jwks)} jwksUri={provider.jwksUri} />
          <section aria-label="Actions" class="actions">
            <a class="button danger" href={`${identityProviderPath(provider.id)}remove/`}>
              Remove
            </a>
            <a
              href={`${LOG}?${new URLSearchParams({ object_type: 'identity_provider', object_id: String(provider.id) })}`}
            >
              History
            </a>
          </section>
          <h2>Change</h2>
        </>
      ) : null}
      <form method="post" action={action}>
        <FormErrors errors={errors} />
        {provider ? null : (
          <TextField
            field="issuer"
            label="Issuer"
            value={values.issuer}
            help="Its issuer identifier (https, no query or fragment), compared exactly with an ID-JAG’s iss."
            required
            errors={errors}
          />
        )}
        <KeyFields values={values} errors={errors} holder="identity provider" />
        <TextField
          field="user_claim"
          label="User claim"
          value={values.userClaim}
          help="The ID-JAG claim that names the user: email, preferred_username, …"
          required
          errors={errors}
        />
        <fieldset class={fieldClass(errors.match)}>
          <legend class="label">Matched to</legend>
          {USER_FIELDS.map((field) => (
            <label class="choice">
              <input type="radio" name="match" value={field} checked={values.match === field} />
              <span>{MATCH_LABELS[field]}</span>
            </label>
          ))}
          <p class="help">Exactly one active user must match, or the ID-JAG is refused; users are never created.</p>
          <FieldErrors field="match" errors={errors.match} />
        </fieldset>
        <FormActions submit="Save" cancel={IDENTITY_PROVIDERS} />
      </form>
    </ConsolePage>
  )
}
