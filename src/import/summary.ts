/**
 * @module
 * What `manage import-django` prints: counts per kind, the review (every superuser, staff user,
 * skip_authorization app and DRF key the import creates, and every account or application already
 * here it attaches to), the clients left with a slow Django secret hash, what was skipped and why,
 * warnings, and the IMPORTED_TOKENS_UNTIL to set.
 */
import type { Summary } from './django.ts'

const KINDS = [
  ['users', 'users'],
  ['applications', 'applications'],
  ['accessTokens', 'access tokens'],
  ['refreshTokens', 'refresh tokens'],
  ['drfKeys', 'DRF keys'],
] as const

/** `title (n): a, b` or `title: none`. */
function listed(title: string, names: string[]): string {
  return names.length === 0 ? `  ${title}: none` : `  ${title} (${names.length}): ${names.join(', ')}`
}

function power(account: { superuser: boolean; staff: boolean; existing?: boolean }): string {
  const notes = [
    ...(account.superuser ? ['superuser'] : account.staff ? ['staff'] : []),
    ...(account.existing ? ['already here'] : []),
  ]
  return notes.length > 0 ? ` (${notes.join(', ')})` : ''
}

function review(summary: Summary): string[] {
  const { superusers, staff, skipApplications, drfKeys, attached, attachedApplications } = summary.review
  return [
    'Review (accounts with power, silent consent, keys, and what joins what is already here):',
    listed('New superusers', superusers),
    listed('New staff users', staff),
    listed(
      'Applications with skip_authorization (consent never asked)',
      skipApplications.map((app) => `${app.clientId} (owner ${app.owner ?? 'none'})`),
    ),
    listed(
      'DRF keys',
      drfKeys.map((key) => `${key.user}${power(key)}`),
    ),
    listed(
      'Accounts already here the dump attaches to (--merge)',
      attached.map(
        (account) => `${account.username}${power(account)} ← ${account.brings.join(', ') || 'nothing but the match'}`,
      ),
    ),
    listed('Applications already here the dump’s tokens attach to (--merge)', attachedApplications),
  ]
}

/**
 * The summary as the command prints it. `configured`: the IMPORTED_TOKENS_UNTIL now set (Unix
 * seconds), if any; `shard`: the token shard the tokens went to, and whether IMPORTED_TOKENS_SHARD
 * names it (else it is the default, which moves when the lowest token shard does).
 */
export function formatSummary(
  summary: Summary,
  context: { dryRun: boolean; configured?: number | null; shard?: { number: number; pinned: boolean } },
): string {
  const { dryRun } = context
  const lines: string[] = []
  if (summary.importedBefore) {
    lines.push(`This dump was imported on ${summary.importedBefore.toISOString()}: nothing was written.`)
  } else {
    lines.push(dryRun ? 'Dry run: nothing was written. The import would write:' : 'Imported:')
    for (const [kind, name] of KINDS) {
      const count = dryRun ? summary.planned[kind] : summary.written[kind]
      // Tokens and keys are known to be here already only once their INSERT found them.
      const here = dryRun ? 0 : summary.planned[kind] - summary.written[kind]
      lines.push(`  ${name}: ${count}${here > 0 ? ` (and ${here} already here)` : ''}`)
    }
    lines.push(...review(summary))
  }
  if (summary.slowSecrets.length > 0) {
    lines.push(
      'Client secrets kept as Django’s hash: each costs a slow check until the client first authenticates.',
      'Rotate them, or give their plaintexts to store this server’s digest instead:',
      '  npm run manage -- import-django --client-secrets <file.json>   ({"<client_id>": "<secret>", …})',
      ...summary.slowSecrets.map((client) => `  ${client.clientId} (${client.hasher})`),
    )
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
    const configured = context.configured ?? null
    if (configured !== null && configured >= summary.tokensUntil) {
      lines.push(`IMPORTED_TOKENS_UNTIL is set to ${new Date(configured * 1000).toISOString()}, which covers ${until}.`)
    } else {
      lines.push(
        'Imported django-oauth-toolkit tokens are accepted only while IMPORTED_TOKENS_UNTIL lies ahead: set',
        `  IMPORTED_TOKENS_UNTIL=${until}`,
        'in .dev.vars locally, or deployed with `npx wrangler secret put IMPORTED_TOKENS_UNTIL`',
        '(docs/configuration.md): the last imported token expires then.',
      )
    }
    const shard = context.shard
    if (shard && !shard.pinned) {
      lines.push(
        `The tokens are in token shard ${shard.number}, where they are looked up while IMPORTED_TOKENS_SHARD names it: set`,
        `  IMPORTED_TOKENS_SHARD=${shard.number}`,
        'as IMPORTED_TOKENS_UNTIL, so that binding other token shards later does not move it.',
      )
    }
  }
  return lines.join('\n')
}
