/**
 * @module
 * The page that sets or replaces an application's public keys (private_key_jwt, RFC 7523 §2.2):
 * what it holds now, and the key fields (./key-fields.tsx).
 */
import type { Application, User } from '../../db/schema.ts'
import { listKeys } from '../../oauth/client-keys.ts'
import { type FieldErrorMap, FormActions, FormErrors } from '../kit/forms.tsx'
import { KeyFields, type KeyFieldValues, KeyList } from './key-fields.tsx'
import { applicationPath, ConsolePage } from './shell.tsx'

export function ClientKeysPage(props: {
  staff: User
  application: Application
  values: KeyFieldValues
  errors: FieldErrorMap
}) {
  const { application } = props
  const path = applicationPath(application.id)
  return (
    <ConsolePage title={`Keys of ${application.name}`} staff={props.staff}>
      <p>
        With public keys registered, the client may authenticate with a signed JWT (private_key_jwt, RFC 7523) instead
        of its secret. Replacing them is how its keys are rotated: assertions signed by the old keys stop working at
        once; tokens already issued stay valid.
      </p>
      <h2>Now</h2>
      <KeyList keys={application.jwks === null ? null : listKeys(application.jwks)} jwksUri={application.jwksUri} />
      <h2>{application.jwks === null && application.jwksUri === null ? 'Set keys' : 'Replace keys'}</h2>
      <form method="post" action={`${path}keys/`}>
        <FormErrors errors={props.errors} />
        <KeyFields values={props.values} errors={props.errors} holder="client" />
        <FormActions submit="Save keys" cancel={path} />
      </form>
    </ConsolePage>
  )
}
