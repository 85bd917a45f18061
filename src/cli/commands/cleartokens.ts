/**
 * @module
 * `manage cleartokens` (DOT's cleartokens): deletes expired tokens and codes in bounded
 * batches, repeating runs until nothing expired is left (the cron trigger runs one bounded run).
 */
import { CLEANUP_BATCH_ROWS, CLEANUP_LIMITS, clearExpiredTokens } from '../../tokens/cleanup.ts'
import { standaloneShards } from '../../tokens/shards.ts'
import type { Command } from './command.ts'

export const cleartokens: Command = {
  usage: `cleartokens [--batch-size N]   (default ${CLEANUP_BATCH_ROWS} rows per statement)`,
  options: { 'batch-size': { type: 'string' } },
  async run({ env }, values) {
    const batchRows = Number(values['batch-size'] ?? CLEANUP_BATCH_ROWS)
    if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > 10_000) {
      throw new Error('--batch-size must be an integer from 1 to 10000')
    }
    const total = {
      accessTokens: 0,
      refreshTokens: 0,
      authorizationCodes: 0,
      deviceCodes: 0,
      pushedAuthorizationRequests: 0,
      usedJtis: 0,
    }
    // The main database and every token shard.
    const databases = standaloneShards(env).all()
    for (;;) {
      const report = await clearExpiredTokens(databases, { ...CLEANUP_LIMITS, batchRows })
      for (const kind of Object.keys(total) as (keyof typeof total)[]) total[kind] += report[kind]
      if (report.complete) break
    }
    console.log(
      `Deleted ${total.accessTokens} expired access tokens, ${total.refreshTokens} refresh tokens, ` +
        `${total.authorizationCodes} authorization codes, ${total.deviceCodes} device codes, ` +
        `${total.pushedAuthorizationRequests} pushed authorization requests, ${total.usedJtis} used JWT IDs.`,
    )
  },
}
