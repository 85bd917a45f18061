/**
 * @module
 * `manage changepassword <username>` (Django's command), `deactivateuser`, `activateuser`,
 * `deleteuser <username>` and `revoketokens`: the account changes that must end the user's sessions and tokens,
 * through src/accounts/user-lifecycle.ts (D1 first, then KV). Running Workers drop what their
 * isolate memory still holds within TOKEN_MEMORY_CACHE_SECONDS.
 */
import { activateUser, deactivateUser, deleteUser, setPassword } from '../../accounts/user-lifecycle.ts'
import { findUserByUsername } from '../../accounts/users.ts'
import type { Db } from '../../db/client.ts'
import type { User } from '../../db/schema.ts'
import { findApplicationByClientId } from '../../oauth/applications.ts'
import { revokeApplicationTokens, revokeUserTokens } from '../../tokens/revocation.ts'
import type { Command } from './command.ts'
import { readPassword } from './input.ts'
import { withStore } from './store.ts'

async function named(db: Db, positionals: string[], usage: string): Promise<User> {
  const [username, ...extra] = positionals
  if (!username || extra.length > 0) throw new Error(`Usage: ${usage}`)
  const user = await findUserByUsername(db, username)
  if (!user) throw new Error(`user '${username}' does not exist`)
  return user
}

export const changepassword: Command = {
  usage: 'changepassword <username> [--password <password>]   (ends sessions, revokes tokens and DRF keys)',
  options: { password: { type: 'string' } },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const user = await named(db, positionals, 'changepassword <username> [--password <password>]')
    // Django's changepassword: the password validators, against this user's attributes.
    const password = await readPassword(values.password as string | undefined, user, 'pass --password').catch(
      (error: Error) => {
        throw new Error(`${error.message}\nPassword unchanged for user '${user.username}'.`)
      },
    )
    await withStore(db, env, (store) => setPassword(store, user.id, password))
    console.log(`Password changed successfully for user '${user.username}'.`)
  },
}

export const deactivateuser: Command = {
  usage: 'deactivateuser <username>   (ends sessions; tokens refused until reactivated)',
  options: {},
  positionals: true,
  async run({ db, env }, _values, positionals) {
    const user = await named(db, positionals, 'deactivateuser <username>')
    await withStore(db, env, (store) => deactivateUser(store, user.id))
    console.log(`User '${user.username}' deactivated.`)
  },
}

export const activateuser: Command = {
  usage: 'activateuser <username>',
  options: {},
  positionals: true,
  async run({ db }, _values, positionals) {
    const user = await named(db, positionals, 'activateuser <username>')
    await activateUser(db, user.id)
    console.log(`User '${user.username}' activated.`)
  },
}

export const revoketokens: Command = {
  usage: 'revoketokens --user <username> | --application <client_id>   (OAuth tokens; for a user, their DRF keys too)',
  options: { user: { type: 'string' }, application: { type: 'string' } },
  async run({ db, env }, values) {
    const username = values.user as string | undefined
    const clientId = values.application as string | undefined
    if (Boolean(username) === Boolean(clientId))
      throw new Error('Usage: revoketokens --user <username> | --application <client_id>')
    if (username) {
      const user = await named(db, [username], 'revoketokens --user <username>')
      await withStore(db, env, (store) => revokeUserTokens(store, user.id))
      console.log(`Revoked every OAuth token and DRF key of user '${user.username}'.`)
      return
    }
    const application = await findApplicationByClientId(db, clientId ?? '')
    if (!application) throw new Error(`Error: no application with client_id ${clientId}.`)
    await withStore(db, env, (store) => revokeApplicationTokens(store, application.id))
    console.log(`Revoked every token issued to application ${application.name} (${application.clientId}).`)
  },
}

export const deleteuser: Command = {
  usage: 'deleteuser <username>   (with their tokens, DRF keys and applications)',
  options: {},
  positionals: true,
  async run({ db, env }, _values, positionals) {
    const user = await named(db, positionals, 'deleteuser <username>')
    await withStore(db, env, (store) => deleteUser(store, user.id))
    console.log(`User '${user.username}' deleted.`)
  },
}
