/**
 * @module
 * A user's DRF `Token` keys in the console (one per device, src/tokens/api-keys.ts): each key's
 * prefix and date (never the key), and the page that shows a new key once.
 */
import type { User } from '../../db/schema.ts'
import type { ApiKeyListing } from '../../tokens/api-keys.ts'
import { PostButton } from '../kit/forms.tsx'
import { SecretOnce } from '../kit/secret.tsx'
import { Time } from '../kit/time.tsx'
import { ConsolePage, userPath } from './shell.tsx'

/** The keys' lines on the user's page; `base` is the user's console path for the buttons (null: none). */
export function ApiKeyPanel(props: { apiKeys: ApiKeyListing[]; base: string | null }) {
  const { apiKeys, base } = props
  return (
    <>
      {apiKeys.length === 0 ? <p>No API keys.</p> : null}
      {apiKeys.map((apiKey) => (
        <p>
          Key #{apiKey.id}
          {apiKey.prefix ? ` (${apiKey.prefix}…)` : ''}, created <Time value={apiKey.created} />.{' '}
          {base ? <PostButton action={`${base}api-key/${apiKey.id}/revoke/`} label="Revoke" variant="danger" /> : null}
        </p>
      ))}
      {base ? <PostButton action={`${base}api-key/create/`} label="Create API key" variant="primary" /> : null}
    </>
  )
}

export function NewApiKeyPage(props: { staff: User; user: User; apiKey: string }) {
  return (
    <ConsolePage title={`API key for ${props.user.username}`} staff={props.staff}>
      <SecretOnce label="The new API key" value={props.apiKey} />
      <p>
        <a href={userPath(props.user)}>Back to {props.user.username}</a>
      </p>
    </ConsolePage>
  )
}
