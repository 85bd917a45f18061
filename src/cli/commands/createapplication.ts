/**
 * @module
 * `manage createapplication` (DOT's createapplication): prints the client secret once;
 * only its digest is stored. The options pass the management API's rules (application-rules.ts);
 * the command acts as the operator (src/accounts/rights.ts OPERATOR), and is audited as one.
 */
import { OPERATOR } from '../../accounts/rights.ts'
import { findUserByUsername } from '../../accounts/users.ts'
import { SIGNING_ALGORITHMS } from '../../crypto/signing-keys.ts'
import { normalizeResourceUri } from '../../lib/resource-uri.ts'
import { createApplicationAs } from '../../oauth/application-changes.ts'
import { applicationNameProblem, applicationProblems } from '../../oauth/application-rules.ts'
import {
  APPLICATION_GRANTS,
  type ApplicationGrant,
  CLIENT_TYPES,
  findApplicationByClientId,
  type NewApplication,
} from '../../oauth/applications.ts'
import { describeKeys, keysFromOptions } from './clientkeys.ts'
import type { Command } from './command.ts'

function oneOf<T extends string>(value: unknown, allowed: readonly T[], flag: string): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new Error(`${flag} must be one of: ${allowed.join(', ')}`)
  }
  return value as T
}

/** The API's field names as this command's flags, so a refusal names what to fix. */
const FLAGS: Record<string, string> = {
  authorization_grant_type: '--grant-type',
  redirect_uris: '--redirect-uri',
  post_logout_redirect_uris: '--post-logout-redirect-uri',
  client_secret: '--client-secret',
}

/**
 * The parsed options as a new application, checked by the same rules as the management API
 * (application-rules.ts); throws one Error listing every problem.
 */
export function applicationFromOptions(values: Record<string, unknown>): Omit<NewApplication, 'userId'> {
  const name = values.name as string | undefined
  if (!name) throw new Error('--name is required')
  const nameProblem = applicationNameProblem(name)
  if (nameProblem) throw new Error(`--name: ${nameProblem}`)
  const clientType = oneOf(values['client-type'], CLIENT_TYPES, '--client-type')
  const grants = ((values['grant-type'] as string[] | undefined) ?? []).flatMap((grant) => grant.split(','))
  if (grants.length === 0) throw new Error('--grant-type is required')
  const grantTypes = grants.map((grant) => oneOf<ApplicationGrant>(grant, APPLICATION_GRANTS, '--grant-type'))
  const redirectUris = (values['redirect-uri'] as string[] | undefined) ?? []
  const postLogoutRedirectUris = (values['post-logout-redirect-uri'] as string[] | undefined) ?? []
  const clientSecret = values['client-secret'] as string | undefined
  const algorithm = oneOf(values.algorithm ?? 'RS256', SIGNING_ALGORITHMS, '--algorithm')
  const resource = resourceOption(values.resource as string | undefined, Boolean(values['can-introspect']))
  const keys = keysFromOptions(values)
  if (keys && clientType === 'public') {
    throw new Error('--jwks/--jwks-uri: a public client does not authenticate; keys are for confidential clients.')
  }
  const problems = applicationProblems({ clientType, grantTypes, redirectUris, postLogoutRedirectUris, clientSecret })
  if (problems) {
    const lines = Object.entries(problems).map(([field, messages]) => {
      const [list, index] = field.split('.')
      const flag = FLAGS[list] ?? list
      const value =
        index === undefined
          ? ''
          : ` ${JSON.stringify((list === 'redirect_uris' ? redirectUris : postLogoutRedirectUris)[Number(index)])}`
      return `${flag}${value}: ${messages.join(' ')}`
    })
    throw new Error(lines.join('\n'))
  }
  return {
    name,
    clientType,
    grantTypes,
    redirectUris,
    skipAuthorization: Boolean(values['skip-authorization']),
    canIntrospect: Boolean(values['can-introspect']),
    resource,
    algorithm,
    postLogoutRedirectUris,
    clientId: values['client-id'] as string | undefined,
    // A client given keys authenticates with them (private_key_jwt): no secret unless one is asked for.
    clientSecret: keys && clientSecret === undefined ? null : clientSecret,
    ...keys,
    requirePushedAuthorizationRequests: Boolean(values['require-pushed-authorization-requests']),
    dpopBoundAccessTokens: Boolean(values['dpop-bound-access-tokens']),
  }
}

/** `--resource`: a resource server's own RFC 8707 resource identifier, in normal form; null when absent. */
function resourceOption(value: string | undefined, canIntrospect: boolean): string | null {
  if (value === undefined) return null
  if (!canIntrospect) throw new Error('--resource: only for a resource server (add --can-introspect)')
  const normalized = normalizeResourceUri(value)
  if (normalized === null) throw new Error(`--resource: not an absolute URI without fragment: ${value}`)
  return normalized
}

function isClientIdTaken(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (/UNIQUE constraint failed: applications\.client_id\b/.test(current.message)) return true
  }
  return false
}

export const createapplication: Command = {
  usage:
    'createapplication --name <name> --client-type confidential|public --grant-type password|client-credentials|authorization-code|urn:ietf:params:oauth:grant-type:device_code|urn:ietf:params:oauth:grant-type:jwt-bearer [--grant-type …] [--redirect-uri <uri> …] [--client-id <id>] [--client-secret <secret>] [--user <username>] [--skip-authorization] [--can-introspect [--resource <uri>]] [--algorithm RS256|ES256] [--post-logout-redirect-uri <uri> …] [--require-pushed-authorization-requests] [--dpop-bound-access-tokens] [--jwks <JWK Set JSON> | --jwks-uri <url>]',
  options: {
    name: { type: 'string' },
    'client-type': { type: 'string' },
    'grant-type': { type: 'string', multiple: true },
    'redirect-uri': { type: 'string', multiple: true },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    user: { type: 'string' },
    'skip-authorization': { type: 'boolean' },
    // A designated resource server: introspects any token (RFC 7662), may hold the introspection scope.
    'can-introspect': { type: 'boolean' },
    // Its own RFC 8707 resource: it then learns only of tokens whose audience includes it.
    resource: { type: 'string' },
    algorithm: { type: 'string', default: 'RS256' },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    // RFC 9126 §6: authorization requests only through /o/par/.
    'require-pushed-authorization-requests': { type: 'boolean' },
    // RFC 9449 §5.2: every token request must carry a DPoP proof (its access tokens are always key-bound).
    'dpop-bound-access-tokens': { type: 'boolean' },
    // private_key_jwt (RFC 7523 §2.2): the client's public keys, as a JWK Set or its URL.
    jwks: { type: 'string' },
    'jwks-uri': { type: 'string' },
  },
  async run({ db }, values) {
    const input = applicationFromOptions(values)
    const username = values.user as string | undefined
    const owner = username ? await findUserByUsername(db, username) : undefined
    if (username && !owner) throw new Error(`Error: user '${username}' does not exist.`)
    const taken = `Error: an application with client_id ${input.clientId} already exists.`
    if (input.clientId && (await findApplicationByClientId(db, input.clientId))) throw new Error(taken)
    const application = await createApplicationAs(db, OPERATOR, { ...input, userId: owner?.id ?? null }).catch(
      (error: unknown) => {
        // Another run took the client_id between the check and the insert: one line, never the SQL.
        if (isClientIdTaken(error)) throw new Error(taken)
        throw error
      },
    )
    if ('refused' in application) throw new Error(`Error: ${application.refused}`)
    console.log(`Application ${application.name} created successfully.`)
    console.log(`client_id:     ${application.clientId}`)
    if (input.jwks || input.jwksUri)
      console.log(describeKeys(input.jwks ? { jwks: input.jwks } : { jwksUri: input.jwksUri ?? '' }))
    if (application.clientSecret) {
      console.log(`client_secret: ${application.clientSecret}`)
      console.log('Store the secret now: it is kept only as a digest and cannot be shown again.')
    }
    if (application.resource) {
      console.log(`Introspection answers it only about tokens for ${application.resource}:`)
      console.log('list that resource in RESOURCES, or make it DEFAULT_AUDIENCE.')
    }
  },
}
