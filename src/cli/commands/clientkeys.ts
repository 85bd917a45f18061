/**
 * @module
 * `manage clientkeys <client_id> --jwks '<JWK Set>' | --jwks-uri <url> | --remove`: the public
 * keys a confidential client authenticates with by private_key_jwt (RFC 7523 §2.2), checked by
 * the same rules as dynamic registration (src/oauth/client-keys.ts). Replacing them is how a
 * client's keys are rotated; its tokens are not touched. `createapplication` takes the same flags.
 * The change is audited as the operator's (src/accounts/rights.ts OPERATOR).
 */
import { OPERATOR } from '../../accounts/rights.ts'
import { setApplicationKeysAs } from '../../oauth/application-changes.ts'
import { findApplicationByClientId } from '../../oauth/applications.ts'
import { checkKeySet, jwksUriProblem, type PublicKeySet } from '../../oauth/client-keys.ts'
import type { Command } from './command.ts'

export type KeyOptions = { jwks: PublicKeySet; jwksUri?: undefined } | { jwks?: undefined; jwksUri: string }

/** --jwks (a JWK Set as JSON) or --jwks-uri, checked; undefined when neither was given. */
export function keysFromOptions(values: Record<string, unknown>): KeyOptions | undefined {
  const jwks = values.jwks as string | undefined
  const jwksUri = values['jwks-uri'] as string | undefined
  if (jwks !== undefined && jwksUri !== undefined) throw new Error('Give --jwks or --jwks-uri, not both.')
  if (jwksUri !== undefined) {
    const problem = jwksUriProblem(jwksUri)
    if (problem) throw new Error(`--jwks-uri: ${problem}`)
    return { jwksUri }
  }
  if (jwks === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(jwks)
  } catch {
    throw new Error('--jwks: not JSON (pass the JWK Set itself, e.g. --jwks "$(cat jwks.json)").')
  }
  const set = checkKeySet(parsed)
  if (typeof set === 'string') throw new Error(`--jwks: ${set}`)
  return { jwks: set }
}

/** One line naming the keys, for the person running the command. */
export function describeKeys(keys: KeyOptions): string {
  if (keys.jwksUri !== undefined) return `jwks_uri:      ${keys.jwksUri}`
  const kids = keys.jwks.keys.map((key) => key.kid ?? '(no kid)')
  return `keys:          ${kids.join(', ')}`
}

export const clientkeys: Command = {
  usage: "clientkeys <client_id> --jwks '<JWK Set JSON>' | --jwks-uri <url> | --remove   (private_key_jwt keys)",
  options: { jwks: { type: 'string' }, 'jwks-uri': { type: 'string' }, remove: { type: 'boolean' } },
  positionals: true,
  async run({ db }, values, positionals) {
    const [clientId, ...extra] = positionals
    if (!clientId || extra.length > 0)
      throw new Error('Usage: clientkeys <client_id> --jwks … | --jwks-uri … | --remove')
    const keys = keysFromOptions(values)
    if ((keys === undefined) === !values.remove) throw new Error('Give one of --jwks, --jwks-uri or --remove.')
    const application = await findApplicationByClientId(db, clientId)
    if (!application) throw new Error(`Error: no application with client_id ${clientId}.`)
    if (application.clientType !== 'confidential') {
      throw new Error('Error: a public client does not authenticate; keys are for confidential clients.')
    }
    // As the operator (a superuser's rights), audited as the console's key changes are.
    const outcome = await setApplicationKeysAs(db, OPERATOR, application, keys ?? null)
    if (outcome === undefined) throw new Error(`Error: no application with client_id ${clientId}.`)
    if (outcome !== true) throw new Error(`Error: ${'refused' in outcome ? outcome.refused : outcome.problem}`)
    if (keys) {
      console.log(`Keys of ${application.name} (${application.clientId}) set.`)
      console.log(describeKeys(keys))
      return
    }
    console.log(`Keys of ${application.name} (${application.clientId}) removed.`)
    if (application.clientSecretHash === '') {
      console.log('It has no client secret either: it cannot authenticate until it gets keys or a secret.')
    }
  },
}
