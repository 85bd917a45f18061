/**
 * @module
 * `manage import-django <dump.json> [--dry-run] [--merge] [--client-secrets <file.json>]`: users,
 * applications, DRF keys and live tokens from `python manage.py dumpdata auth.user oauth2_provider
 * authtoken` (src/import/ does the work; this prints what it did). Without a dump:
 * `--slow-secrets` lists the imported clients still holding Django's hash of their secret, and
 * `--client-secrets <file.json>` replaces those hashes by this server's digest. With --remote it
 * works on the deployed D1.
 */
import { readFileSync } from 'node:fs'
import { getConfig } from '../../config.ts'
import { parseClientSecrets, restoreClientSecrets, slowSecretClients } from '../../import/client-secrets.ts'
import { importDjangoDump } from '../../import/django.ts'
import { formatSummary } from '../../import/summary.ts'
import { nowSeconds } from '../../lib/time.ts'
import { standaloneShards } from '../../tokens/shards.ts'
import type { Command } from './command.ts'

const USAGE =
  'import-django <dump.json> [--dry-run] [--merge] [--client-secrets <file.json>] | --slow-secrets | --client-secrets <file.json>'

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new Error(`Cannot read ${path} as JSON: ${error instanceof Error ? error.message : error}`)
  }
}

export const importDjango: Command = {
  usage: `${USAGE}   (python manage.py dumpdata auth.user oauth2_provider authtoken)`,
  options: {
    'dry-run': { type: 'boolean' },
    merge: { type: 'boolean' },
    'client-secrets': { type: 'string' },
    'slow-secrets': { type: 'boolean' },
  },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const [path, ...extra] = positionals
    const secretsPath = values['client-secrets'] as string | undefined
    const clientSecrets = secretsPath === undefined ? undefined : parseClientSecrets(readJson(secretsPath))
    if (extra.length > 0 || (path === undefined && clientSecrets === undefined && !values['slow-secrets'])) {
      throw new Error(`Usage: ${USAGE}`)
    }
    if (path === undefined) {
      if (clientSecrets) {
        const restored = await restoreClientSecrets(db, clientSecrets)
        console.log(`Secrets re-stored as this server's digest (${restored.length}): ${restored.join(', ') || 'none'}`)
      }
      const pending = await slowSecretClients(db)
      console.log(
        pending.length === 0
          ? 'No client secret is kept as a Django hash.'
          : [
              `Client secrets still kept as Django's hash (${pending.length}): rotate them, or re-store them with --client-secrets`,
              ...pending.map((client) => `  ${client.clientId} "${client.name}" (${client.hasher})`),
            ].join('\n'),
      )
      return
    }
    const dryRun = Boolean(values['dry-run'])
    const config = getConfig(env)
    // Imported tokens carry no shard number: they go where the Worker looks them up (IMPORTED_TOKENS_SHARD).
    const shard = config.tokenShards.importedShard
    const tokens = standaloneShards(env).get(shard)?.db ?? db
    const summary = await importDjangoDump(db, readJson(path), {
      now: nowSeconds(),
      refreshLifetime: config.refreshTokenLifetime,
      merge: Boolean(values.merge),
      clientSecrets,
      dryRun,
      tokens,
    })
    const pinned = (env as { IMPORTED_TOKENS_SHARD?: string }).IMPORTED_TOKENS_SHARD !== undefined
    console.log(
      formatSummary(summary, { dryRun, configured: config.importedTokensUntil, shard: { number: shard, pinned } }),
    )
  },
}
