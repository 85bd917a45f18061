/**
 * @module
 * A public key set as the console's forms take it (a client's for private_key_jwt, a trusted
 * identity provider's for its ID-JAGs): a JWK Set pasted as JSON, or the https URL of one, never
 * both; reading them, and listing keys already registered (kid, key type and algorithm, never
 * key material). Whether the keys pass is the domain's (src/oauth/client-keys.ts, through the
 * check the caller gives); its message lands under the field it names.
 */
import { type RawParams, single } from '../../lib/forms.ts'
import type { KeyListing } from '../../oauth/client-keys.ts'
import { describedBy, type FieldErrorMap, FieldErrors, fieldClass, TextField } from '../kit/forms.tsx'

/** The fields as typed (kept on a refused submit). */
export type KeyFieldValues = { jwks: string; jwksUri: string }

export const NO_KEYS: KeyFieldValues = { jwks: '', jwksUri: '' }

export function readKeyFields(form: RawParams): KeyFieldValues {
  return { jwks: (single(form, 'jwks') ?? '').trim(), jwksUri: (single(form, 'jwks_uri') ?? '').trim() }
}

/**
 * The keys the fields give, checked by `check` (the domain's: a parsed JWK Set, or a jwks_uri),
 * or the field errors: one of the two is required, JSON that does not parse, the check's message.
 */
export function checkKeyFields<K>(
  values: KeyFieldValues,
  check: (jwks: unknown, jwksUri: string | undefined) => K | string,
): { keys: K } | { errors: FieldErrorMap } {
  if ((values.jwks === '') === (values.jwksUri === '')) {
    const message = 'Give a JWK Set or a jwks_uri (one of them, not both).'
    return { errors: { jwks: [message], jwks_uri: [message] } }
  }
  let jwks: unknown
  if (values.jwks !== '') {
    try {
      jwks = JSON.parse(values.jwks)
    } catch {
      return { errors: { jwks: ['Enter a JWK Set as JSON: {"keys": [ … ]}.'] } }
    }
  }
  const keys = check(jwks, values.jwksUri === '' ? undefined : values.jwksUri)
  if (typeof keys !== 'string') return { keys }
  return { errors: { [keys.startsWith('jwks_uri') ? 'jwks_uri' : 'jwks']: [keys] } }
}

/** The two fields, with their help and errors. */
export function KeyFields(props: { values: KeyFieldValues; errors: FieldErrorMap; holder: string }) {
  const { values, errors } = props
  return (
    <>
      <div class={fieldClass(errors.jwks)}>
        <label for="jwks">Public keys: a JWK Set</label>
        <textarea
          id="jwks"
          name="jwks"
          rows={6}
          spellcheck={false}
          autocapitalize="none"
          placeholder='{"keys": [{"kty": "EC", "crv": "P-256", "kid": "…", "x": "…", "y": "…"}]}'
          {...describedBy('jwks', errors)}
        >
          {values.jwks}
        </textarea>
        <p class="help">
          The {props.holder}’s public signature keys (RSA of 2048 bits or more, EC P-256 / P-384, Ed25519), at most 10.
          Never a private key.
        </p>
        <FieldErrors field="jwks" errors={errors.jwks} />
      </div>
      <TextField
        field="jwks_uri"
        label="or jwks_uri"
        value={values.jwksUri}
        help="An https URL on a public host where the key set is published; fetched when needed, kept for its Cache-Control max-age."
        errors={errors}
      />
    </>
  )
}

/** Keys already registered: a table of what they are, or where they are fetched from. */
export function KeyList(props: { keys: KeyListing[] | null; jwksUri: string | null }) {
  if (props.jwksUri !== null) {
    return (
      <p>
        Fetched from <code>{props.jwksUri}</code>
      </p>
    )
  }
  if (props.keys === null) return <p>None.</p>
  return (
    <table class="list">
      <thead>
        <tr>
          <th scope="col">kid</th>
          <th scope="col">Key type</th>
          <th scope="col">Algorithm</th>
        </tr>
      </thead>
      <tbody>
        {props.keys.map((key) => (
          <tr>
            <td data-label="kid" class="long">
              {key.kid === null ? <span class="muted">(none)</span> : <code>{key.kid}</code>}
            </td>
            <td data-label="Key type">{key.crv === null ? key.kty : `${key.kty} ${key.crv}`}</td>
            <td data-label="Algorithm">{key.alg ?? <span class="muted">any that fits</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
