/**
 * @module
 * `manage listapplications` and `manage deleteapplication <client_id>` (DOT's admin list and
 * delete): deleting revokes the application's tokens in the same batch (KV purged after), as the
 * management API does, and is audited as the operator's (src/accounts/rights.ts OPERATOR).
 */
import { OPERATOR } from '../../accounts/rights.ts'
import { deleteApplicationAs } from '../../oauth/application-changes.ts'
import { findApplicationByClientId, listApplications } from '../../oauth/applications.ts'
import type { Command } from './command.ts'
import { withStore } from './store.ts'

export const listapplications: Command = {
  usage: 'listapplications   (client_id, name, client type, grants, owner)',
  options: {},
  async run({ db }) {
    const rows = await listApplications(db)
    if (rows.length === 0) {
      console.log('No applications.')
      return
    }
    for (const row of rows) {
      console.log(
        [row.clientId, row.name, row.clientType, row.grantTypes.join(','), row.owner ?? '(no owner)'].join('\t'),
      )
    }
  },
}

export const deleteapplication: Command = {
  usage: 'deleteapplication <client_id>   (with its tokens and codes)',
  options: {},
  positionals: true,
  async run({ db, env }, _values, positionals) {
    const [clientId, ...extra] = positionals
    if (!clientId || extra.length > 0) throw new Error('Usage: deleteapplication <client_id>')
    const application = await findApplicationByClientId(db, clientId)
    if (!application) throw new Error(`Error: no application with client_id ${clientId}.`)
    const refused = await withStore(db, env, (store) => deleteApplicationAs(store, OPERATOR, application))
    if (refused) throw new Error(`Error: ${refused.refused}`)
    console.log(`Application ${application.name} (${application.clientId}) deleted, with its tokens.`)
  },
}
