/**
 * @module
 * `manage changepassword <username>` (Django's command), `deactivateuser`, `activateuser` and
 * `deleteuser <username>`: the account changes that must end the user's sessions and tokens,
 * through src/accounts/user-lifecycle.ts (D1 first, then KV). Running Workers drop what their
 * isolate memory still holds within TOKEN_MEMORY_CACHE_SECONDS.
 */
import { activateUser, deactivateUser, deleteUser, setPassword } from '../../accounts/user-lifecycle.ts'
import { findUserByUsername } from '../../accounts/users.ts'
import type { Db } from '../../db/client.ts'
import type { User } from '../../db/schema.ts'
import type { Command } from './command.ts'
import { prompt } from './createsuperuser.ts'
import { withStore } from './store.ts'

async function named(db: Db, positionals: string[], usage: string): Promise<User> {
  const [username, ...extra] = positionals
  if (!username || extra.length > 0) throw new Error(`Usage: ${usage}`)
  const user = await findUserByUsername(db, username)
  if (!user) throw new Error(`user '${username}' does not exist`)
  return user
}

export const changepassword: Command = {
  usage: 'changepassword <username> [--password <password>]   (ends sessions, revokes tokens and the DRF key)',
  options: { password: { type: 'string' } },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const user = await named(db, positionals, 'changepassword <username> [--password <password>]')
    let password = values.password as string | undefined
    if (password === undefined) {
      password = await prompt('Password: ')
      if ((await prompt('Password (again): ')) !== password)
        throw new Error('Passwords do not match. Password unchanged.')
    }
    if (!password) throw new Error('A password is required. Password unchanged.')
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

export const deleteuser: Command = {
  usage: 'deleteuser <username>   (with their tokens, DRF key and applications)',
  options: {},
  positionals: true,
  async run({ db, env }, _values, positionals) {
    const user = await named(db, positionals, 'deleteuser <username>')
    await withStore(db, env, (store) => deleteUser(store, user.id))
    console.log(`User '${user.username}' deleted.`)
  },
}
