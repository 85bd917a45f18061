/**
 * @module
 * Enterprise-managed authorization (ID-JAG, src/oauth/id-jag/), both directions, as the operator
 * (src/accounts/rights.ts OPERATOR), each change audited:
 *
 * - `manage trustedidp add|list|remove`: the identity providers whose ID-JAGs the jwt-bearer grant
 *   accepts, with their keys and the rule naming the local user;
 * - `manage idjagpolicy add|list|remove`: which clients may exchange an id_token of this server for
 *   an ID-JAG, for which authorization server and resource (this server acting as the IdP).
 */
import { OPERATOR } from '../../accounts/rights.ts'
import { getConfig } from '../../config.ts'
import { findApplicationByClientId } from '../../oauth/applications.ts'
import { checkPolicy, listIdJagPolicies, removeIdJagPolicy, setIdJagPolicy } from '../../oauth/id-jag/policies.ts'
import {
  distrustIdentityProvider,
  idpKeysFrom,
  issuerProblem,
  listTrustedIdps,
  trustIdentityProvider,
  USER_FIELDS,
  type UserField,
  userClaimProblem,
} from '../../oauth/id-jag/trusted-idps.ts'
import type { Command } from './command.ts'

function jsonOption(value: unknown, flag: string): unknown {
  if (value === undefined) return undefined
  try {
    return JSON.parse(String(value))
  } catch {
    throw new Error(`${flag}: not JSON (pass the JWK Set itself, e.g. ${flag} "$(cat jwks.json)").`)
  }
}

const TRUSTEDIDP_USAGE =
  "trustedidp add <issuer> --jwks '<JWK Set JSON>' | --jwks-uri <url> [--user-claim <claim>] [--match email|username] | trustedidp list | trustedidp remove <issuer>   (identity providers whose ID-JAGs are accepted)"

export const trustedidp: Command = {
  usage: TRUSTEDIDP_USAGE,
  options: {
    jwks: { type: 'string' },
    'jwks-uri': { type: 'string' },
    'user-claim': { type: 'string' },
    match: { type: 'string' },
  },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const [action, issuer, ...extra] = positionals
    if (action === 'list' && issuer === undefined) {
      const providers = await listTrustedIdps(db)
      if (providers.length === 0) console.log('No trusted identity providers.')
      for (const provider of providers) {
        const keys = provider.jwksUri ?? `${JSON.parse(provider.jwks ?? '{"keys":[]}').keys.length} key(s) registered`
        console.log([provider.issuer, keys, `${provider.userClaim} → ${provider.userField}`].join('\t'))
      }
      return
    }
    if ((action !== 'add' && action !== 'remove') || issuer === undefined || extra.length > 0) {
      throw new Error(`Usage: ${TRUSTEDIDP_USAGE}`)
    }
    if (action === 'remove') {
      if (!(await distrustIdentityProvider(db, OPERATOR, issuer))) {
        throw new Error(`Error: ${issuer} is not a trusted identity provider.`)
      }
      console.log(`Identity provider ${issuer} is no longer trusted.`)
      return
    }
    const problem = issuerProblem(issuer, getConfig(env).issuer)
    if (problem) throw new Error(`Error: ${problem}`)
    const keys = idpKeysFrom(jsonOption(values.jwks, '--jwks'), values['jwks-uri'] as string | undefined)
    if (typeof keys === 'string') throw new Error(`Error: ${keys}`)
    const userClaim = (values['user-claim'] as string | undefined) ?? 'email'
    const claimProblem = userClaimProblem(userClaim)
    if (claimProblem) throw new Error(`Error: ${claimProblem}`)
    const match = (values.match as string | undefined) ?? 'email'
    if (!(USER_FIELDS as readonly string[]).includes(match)) {
      throw new Error('Error: --match must be email or username.')
    }
    const { replaced } = await trustIdentityProvider(db, OPERATOR, {
      issuer,
      keys,
      userClaim,
      userField: match as UserField,
    })
    console.log(`Identity provider ${issuer} ${replaced ? 'changed' : 'trusted'} for ID-JAGs.`)
    console.log(keys.jwksUri !== undefined ? `jwks_uri:  ${keys.jwksUri}` : `keys:      ${keys.jwks.keys.length}`)
    console.log(`users:     the ${userClaim} claim matched to a user's ${match}`)
  },
}

const IDJAGPOLICY_USAGE =
  'idjagpolicy add <client_id> --audience <issuer> --resource <uri> [--client-id-there <id>] [--scope "<scopes>"] | idjagpolicy list [<client_id>] | idjagpolicy remove <rule id>   (which clients get ID-JAGs for what)'

export const idjagpolicy: Command = {
  usage: IDJAGPOLICY_USAGE,
  options: {
    audience: { type: 'string' },
    resource: { type: 'string' },
    'client-id-there': { type: 'string' },
    scope: { type: 'string' },
  },
  positionals: true,
  async run({ db }, values, positionals) {
    const [action, argument, ...extra] = positionals
    if (extra.length > 0) throw new Error(`Usage: ${IDJAGPOLICY_USAGE}`)
    if (action === 'list') {
      const application = argument === undefined ? undefined : await findApplicationByClientId(db, argument)
      if (argument !== undefined && !application) throw new Error(`Error: no application with client_id ${argument}.`)
      const rules = await listIdJagPolicies(db, application?.id)
      if (rules.length === 0) console.log('No ID-JAG exchange rules.')
      for (const rule of rules) {
        const scope = rule.scope ?? '(as asked)'
        console.log([rule.id, rule.clientId, rule.audience, rule.resource, rule.audienceClientId, scope].join('\t'))
      }
      return
    }
    if (action === 'remove' && argument !== undefined) {
      const id = Number(argument)
      if (!Number.isSafeInteger(id) || !(await removeIdJagPolicy(db, OPERATOR, id))) {
        throw new Error(`Error: no ID-JAG exchange rule ${argument}.`)
      }
      console.log(`Rule ${id} removed.`)
      return
    }
    if (action !== 'add' || argument === undefined) throw new Error(`Usage: ${IDJAGPOLICY_USAGE}`)
    const application = await findApplicationByClientId(db, argument)
    if (!application) throw new Error(`Error: no application with client_id ${argument}.`)
    const { audience, resource } = values as { audience?: string; resource?: string }
    if (audience === undefined || resource === undefined) {
      throw new Error('Error: --audience and --resource are required.')
    }
    const rule = checkPolicy(application, {
      audience,
      resource,
      audienceClientId: values['client-id-there'] as string | undefined,
      scope: values.scope as string | undefined,
    })
    if (typeof rule === 'string') throw new Error(`Error: ${rule}`)
    const policy = await setIdJagPolicy(db, OPERATOR, application, rule)
    console.log(`Rule ${policy.id}: ${application.name} (${application.clientId}) may exchange id_tokens for ID-JAGs.`)
    console.log(`audience:  ${policy.audience}`)
    console.log(`resource:  ${policy.resource}`)
    console.log(`client_id: ${policy.audienceClientId} (there)`)
    console.log(`scope:     ${policy.scope ?? 'as the client asks'}`)
  },
}
