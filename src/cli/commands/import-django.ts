/**
 * @module
 * `manage import-django <dump.json> [--dry-run]`: users, applications, DRF keys and live tokens
 * from `python manage.py dumpdata auth.user oauth2_provider authtoken` (src/import/django.ts does
 * the work; this prints what it did). With --remote it writes to the deployed D1.
 */
import { readFileSync } from 'node:fs'
import { getConfig } from '../../config.ts'
import { importDjangoDump, type Summary } from '../../import/django.ts'
import { nowSeconds } from '../../lib/time.ts'
import type { Command } from './command.ts'

const KINDS = [
  ['users', 'users'],
  ['applications', 'applications'],
  ['accessTokens', 'access tokens'],
  ['refreshTokens', 'refresh tokens'],
  ['drfKeys', 'DRF keys'],
] as const

/** The summary as the command prints it: counts per kind, what was skipped and why, warnings, next step. */
function formatSummary(summary: Summary, dryRun: boolean): string {
  const lines = [dryRun ? 'Dry run: nothing was written. The import would write:' : 'Imported:']
  if (summary.importedBefore && !dryRun) {
    lines[0] = `This dump was imported on ${summary.importedBefore.toISOString()}: nothing was written.`
  }
  for (const [kind, name] of KINDS) {
    // Tokens and keys are known to be here only once their INSERT found them.
    const here =
      kind === 'users' || kind === 'applications'
        ? summary.present[kind]
        : dryRun
          ? 0
          : summary.planned[kind] - summary.written[kind]
    const count = dryRun ? summary.planned[kind] : summary.written[kind]
    lines.push(`  ${name}: ${count}${here > 0 ? ` (and ${here} already here)` : ''}`)
  }
  if (summary.skipped.length > 0) {
    lines.push('Skipped:')
    for (const skipped of summary.skipped) lines.push(`  ${skipped.kind}: ${skipped.count} (${skipped.reason})`)
  }
  if (summary.warnings.length > 0) {
    lines.push('Warnings:')
    for (const warning of summary.warnings) lines.push(`  - ${warning}`)
  }
  if (summary.tokensUntil !== null) {
    const until = new Date(summary.tokensUntil * 1000).toISOString()
    lines.push(
      `Imported django-oauth-toolkit tokens are accepted only while IMPORTED_TOKENS_UNTIL lies ahead: set`,
      `  IMPORTED_TOKENS_UNTIL = "${until}"`,
      `in wrangler.toml [vars] and deploy (the last imported token expires then).`,
    )
  }
  return lines.join('\n')
}

export const importDjango: Command = {
  usage: 'import-django <dump.json> [--dry-run]   (python manage.py dumpdata auth.user oauth2_provider authtoken)',
  options: { 'dry-run': { type: 'boolean' } },
  positionals: true,
  async run({ db, env }, values, positionals) {
    const [path, ...extra] = positionals
    if (!path || extra.length > 0) throw new Error('Usage: import-django <dump.json> [--dry-run]')
    let data: unknown
    try {
      data = JSON.parse(readFileSync(path, 'utf8'))
    } catch (error) {
      throw new Error(`Cannot read ${path} as JSON: ${error instanceof Error ? error.message : error}`)
    }
    const dryRun = Boolean(values['dry-run'])
    const summary = await importDjangoDump(db, data, {
      now: nowSeconds(),
      refreshLifetime: getConfig(env).refreshTokenLifetime,
      dryRun,
    })
    console.log(formatSummary(summary, dryRun))
  },
}
