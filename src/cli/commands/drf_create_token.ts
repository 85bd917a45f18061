/**
 * @module
 * `manage drf_create_token <username> [-r]` (DRF's command, under DRF's name so existing scripts
 * run unchanged): prints a new API key (src/tokens/api-keys.ts) once; only its digest is stored.
 * `-r` revokes every key of the user and issues one: the old ones stop working at once (D1 rows
 * deleted, KV entries purged). Without `-r`, a user who already has a key gets an error, since
 * a stored digest cannot be turned back into the key; `--add` issues one more beside them.
 * `listapikeys` and `revokeapikey` show and revoke a user's keys one by one.
 */
import { findUserByUsername } from '../../accounts/users.ts'
import type { Db } from '../../db/client.ts'
import type { User } from '../../db/schema.ts'
import { issueApiKey, listApiKeys, replaceApiKeys, revokeApiKey } from '../../tokens/api-keys.ts'
import type { Command } from './command.ts'
import { withStore } from './store.ts'

async function keyOwner(db: Db, username: string): Promise<User> {
  const user = await findUserByUsername(db, username)
  if (!user) throw new Error(`user '${username}' does not exist`)
  return user
}

export const drf_create_token: Command = {
  usage: 'drf_create_token <username> [-r | --regenerate | --add]   (-r: revoke all their keys and issue one)',
  options: { regenerate: { type: 'boolean', short: 'r' }, add: { type: 'boolean' } },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const [username, ...extra] = positionals
    if (!username || extra.length > 0) throw new Error('Usage: drf_create_token <username> [-r | --add]')
    if (values.regenerate && values.add) throw new Error('Choose one of -r (replace every key) and --add.')
    const user = await findUserByUsername(db, username)
    if (!user) throw new Error(`Cannot create the Token for user ${username}: user does not exist`)
    if (!values.regenerate && !values.add && (await listApiKeys(db, user.id)).length > 0) {
      throw new Error(
        `User ${username} already has a token. Only its digest is stored, so it cannot be shown again: use -r to replace every key of theirs, or --add for one more.`,
      )
    }
    const issued = await withStore(db, env, (store) =>
      values.regenerate ? replaceApiKeys(store, user.id) : issueApiKey(store, user.id),
    )
    console.log(`Generated token ${issued.key} for user ${username}`)
  },
}

export const listapikeys: Command = {
  usage: 'listapikeys <username>   (id, first characters and creation time of each DRF key)',
  options: {},
  positionals: true,
  async run(database, _values, positionals) {
    const [username, ...extra] = positionals
    if (!username || extra.length > 0) throw new Error('Usage: listapikeys <username>')
    const user = await keyOwner(database.db, username)
    const keys = await listApiKeys(database.db, user.id)
    if (keys.length === 0) {
      console.log(`User '${user.username}' has no API keys.`)
      return
    }
    for (const key of keys) {
      // Keys made before prefixes were kept show none: only their digest exists.
      console.log(`${key.id}\t${key.prefix ? `${key.prefix}…` : '(no prefix)'}\t${key.created.toISOString()}`)
    }
  },
}

export const revokeapikey: Command = {
  usage: 'revokeapikey <username> <id | first characters of the key>',
  options: {},
  positionals: true,
  async run({ db, env }, _values, positionals) {
    const [username, which, ...extra] = positionals
    if (!username || !which || extra.length > 0) throw new Error('Usage: revokeapikey <username> <id | prefix>')
    const user = await keyOwner(db, username)
    const keys = await listApiKeys(db, user.id)
    // An id, or 4 to 8 of the key's first characters (what listapikeys shows). A prefix may be all
    // digits too: an id that matches wins, else the digits are read as a prefix.
    const byId = /^\d+$/.test(which) ? keys.filter((key) => key.id === Number(which)) : []
    const matches =
      byId.length > 0 ? byId : /^[0-9a-f]{4,8}$/.test(which) ? keys.filter((key) => key.prefix?.startsWith(which)) : []
    if (matches.length === 0) throw new Error(`User '${user.username}' has no API key ${which} (see listapikeys).`)
    if (matches.length > 1) throw new Error(`${which} names ${matches.length} keys of '${user.username}': give the id.`)
    await withStore(db, env, (store) => revokeApiKey(store, user.id, matches[0].id))
    console.log(`API key ${matches[0].id} of user '${user.username}' revoked.`)
  },
}
