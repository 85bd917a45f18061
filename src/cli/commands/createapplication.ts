/**
 * @module
 * `manage createapplication` (DOT's createapplication): prints the client secret once;
 * only its digest is stored.
 */
import { findUserByUsername } from '../../accounts/users.ts'
import { SIGNING_ALGORITHMS } from '../../crypto/signing-keys.ts'
import { APPLICATION_GRANTS, CLIENT_TYPES, createApplication } from '../../oauth/applications.ts'
import type { ApplicationGrant } from '../../oauth/grants/types.ts'
import type { Command } from './command.ts'

function oneOf<T extends string>(value: unknown, allowed: readonly T[], flag: string): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new Error(`${flag} must be one of: ${allowed.join(', ')}`)
  }
  return value as T
}

export const createapplication: Command = {
  usage:
    'createapplication --name <name> --client-type confidential|public --grant-type password|client-credentials|authorization-code [--grant-type …] [--redirect-uri <uri> …] [--client-id <id>] [--client-secret <secret>] [--user <username>] [--skip-authorization] [--can-introspect] [--algorithm RS256|ES256] [--post-logout-redirect-uri <uri> …]',
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
    algorithm: { type: 'string', default: 'RS256' },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
  },
  async run({ db }, values) {
    const name = values.name as string | undefined
    if (!name) throw new Error('--name is required')
    const clientType = oneOf(values['client-type'], CLIENT_TYPES, '--client-type')
    const grants = ((values['grant-type'] as string[] | undefined) ?? []).flatMap((grant) => grant.split(','))
    if (grants.length === 0) throw new Error('--grant-type is required')
    const grantTypes = grants.map((grant) => oneOf(grant, APPLICATION_GRANTS, '--grant-type') as ApplicationGrant)
    const redirectUris = (values['redirect-uri'] as string[] | undefined) ?? []
    if (grantTypes.includes('authorization-code') && redirectUris.length === 0) {
      throw new Error('--redirect-uri is required for the authorization-code grant')
    }
    const algorithm = oneOf(values.algorithm, SIGNING_ALGORITHMS, '--algorithm')
    const postLogoutRedirectUris = (values['post-logout-redirect-uri'] as string[] | undefined) ?? []
    for (const uri of postLogoutRedirectUris) {
      if (!URL.canParse(uri)) throw new Error(`--post-logout-redirect-uri must be an absolute URI: ${uri}`)
    }
    const username = values.user as string | undefined
    const owner = username ? await findUserByUsername(db, username) : undefined
    if (username && !owner) throw new Error(`No user named ${username}`)
    const application = await createApplication(db, {
      name,
      clientType,
      grantTypes,
      redirectUris,
      userId: owner?.id ?? null,
      skipAuthorization: Boolean(values['skip-authorization']),
      canIntrospect: Boolean(values['can-introspect']),
      algorithm,
      postLogoutRedirectUris,
      clientId: values['client-id'] as string | undefined,
      clientSecret: values['client-secret'] as string | undefined,
    })
    console.log(`Application ${application.name} created successfully.`)
    console.log(`client_id:     ${application.clientId}`)
    if (application.clientSecret) {
      console.log(`client_secret: ${application.clientSecret}`)
      console.log('Store the secret now: it is kept only as a digest and cannot be shown again.')
    }
  },
}
