/**
 * @module
 * `manage drf_create_token <username> [-r]` (DRF's command, under DRF's name so existing scripts
 * run unchanged): prints a new API key (src/tokens/api-keys.ts) once; only
 * its digest is stored. `-r` replaces the user's key: the old one stops working at once (its D1
 * row is replaced and its KV entry purged). Without `-r`, a user who already has a key gets an
 * error, since the stored digest cannot be turned back into the key.
 */
import { findUserByUsername } from '../../accounts/users.ts'
import { keyedTokenFormat } from '../../crypto/token-format.ts'
import { createApiKey, replaceApiKey } from '../../tokens/api-keys.ts'
import { standaloneTokenStore } from '../../tokens/store.ts'
import type { Command } from './command.ts'

export const drf_create_token: Command = {
  usage: 'drf_create_token <username> [-r | --regenerate]',
  options: { regenerate: { type: 'boolean', short: 'r' } },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const [username, ...extra] = positionals
    if (!username || extra.length > 0) throw new Error('Usage: drf_create_token <username> [-r]')
    const user = await findUserByUsername(db, username)
    if (!user) throw new Error(`Cannot create the Token for user ${username}: user does not exist`)
    const pending: Promise<unknown>[] = []
    // API keys carry no MAC: SECRET_KEY is needed only if the store minted OAuth tokens.
    const format = keyedTokenFormat(env.SECRET_KEY)
    const store = standaloneTokenStore(db, env.TOKEN_CACHE, format, (promise) => void pending.push(promise))
    const key = values.regenerate ? await replaceApiKey(store, user.id) : await createApiKey(store, user.id)
    await Promise.all(pending)
    if (key === null) {
      throw new Error(
        `User ${username} already has a token. Only its digest is stored, so it cannot be shown again: use -r to replace it.`,
      )
    }
    console.log(`Generated token ${key} for user ${username}`)
  },
}
