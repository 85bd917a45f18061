/**
 * @module
 * The CLI row: the wall time of every local `npm run manage -- <command>`, as a person types it,
 * against a budget of 2 s each (Django's manage.py createsuperuser takes well under a second).
 * It runs in a throwaway copy of the project (test/e2e/project-copy.ts: its own `.dev.vars` and
 * local database, never the developer's): first one command on a fresh clone (it applies every
 * migration and generates `.dev.vars`' secrets), then each command `CLI_ROUNDS` times in an order
 * that leaves the state each next one needs. Each figure is the median of its rounds, npm's own
 * start-up included. Imports a small DOT 1.7 dump too (test/fixtures/django/dot-1.7).
 */
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { projectCopy, ROOT } from '../test/e2e/project-copy.ts'

export const CLI_ROW = 'cli'
export const CLI_BUDGET_MS = 2000
const CLI_ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 3)
const PASSWORD = 'plaid kettle orbit 42'

export type CliTimes = {
  name: string
  rounds: number
  budgetMs: number
  /** The first command of a fresh clone: migrations applied, `.dev.vars` secrets generated. */
  firstRunMs: number
  /** Median wall time of each command, in ms. */
  commands: Record<string, number>
  slowestMs: number
  /** The machine's 1-minute load average before and after (2 cores: above 2, commands wait for CPU). */
  loadAverage: [number, number]
  /** Every command, the first run included, within the budget. */
  holds: boolean
}

/** The commands of one round; `n` makes its names unique. Each leaves what the next needs. */
function round(n: number): string[][] {
  const user = `bench-cli-${n}`
  const app = `bench-cli-app-${n}`
  return [
    ['createsuperuser', '--username', `${user}-admin`, '--password', PASSWORD],
    ['createuser', '--username', user, '--password', PASSWORD],
    [
      'createapplication',
      '--name',
      app,
      '--client-id',
      app,
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
      '--user',
      user,
    ],
    ['listapplications'],
    ['drf_create_token', user],
    ['listapikeys', user],
    // The key's first characters, filled in from drf_create_token's output.
    ['revokeapikey', user, '<prefix>'],
    ['changepassword', user, '--password', `${PASSWORD} again`],
    ['deactivateuser', user],
    ['activateuser', user],
    ['revoketokens', '--user', user],
    ['cleartokens'],
    ['deleteapplication', app],
    ['deleteuser', user],
    ['generate-secret-key'],
    ['generate-signing-key'],
  ]
}

function timed(directory: string, args: string[]): { ms: number; stdout: string } {
  const start = performance.now()
  const run = spawnSync('npm', ['run', '-s', 'manage', '--', ...args], { cwd: directory, encoding: 'utf8' })
  const ms = performance.now() - start
  if (run.status !== 0) throw new Error(`manage ${args.join(' ')} failed:\n${run.stderr}`)
  return { ms, stdout: run.stdout }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export function measureCli(): CliTimes {
  const loadBefore = loadavg()[0]
  const copy = projectCopy()
  // The import keeps Django's user ids, so it runs where the rounds' users do not hold them: a
  // second copy, its migrations applied first (untimed); a dry run writes nothing, round after round.
  const importCopy = projectCopy()
  try {
    const firstRunMs = timed(copy.directory, ['listapplications']).ms
    timed(importCopy.directory, ['listapplications'])
    const samples: Record<string, number[]> = {}
    const importArgs = ['import-django', '--dry-run', join(ROOT, 'test/fixtures/django/dot-1.7/dump.json')]
    for (let n = 0; n < CLI_ROUNDS; n++) {
      let prefix = ''
      for (const args of [...round(n), importArgs]) {
        const { ms, stdout } = timed(
          args === importArgs ? importCopy.directory : copy.directory,
          args.map((arg) => (arg === '<prefix>' ? prefix : arg)),
        )
        if (args[0] === 'drf_create_token') prefix = stdout.match(/Generated token (\S{8})/)?.[1] ?? ''
        samples[args[0]] ??= []
        samples[args[0]].push(ms)
      }
    }
    const commands = Object.fromEntries(Object.entries(samples).map(([name, ms]) => [name, Math.round(median(ms))]))
    const slowestMs = Math.max(firstRunMs, ...Object.values(commands))
    return {
      name: 'CLI: npm run manage -- <command>, local database, wall time',
      rounds: CLI_ROUNDS,
      budgetMs: CLI_BUDGET_MS,
      firstRunMs: Math.round(firstRunMs),
      commands,
      slowestMs: Math.round(slowestMs),
      loadAverage: [loadBefore, loadavg()[0]].map((load) => Math.round(load * 100) / 100) as [number, number],
      holds: slowestMs <= CLI_BUDGET_MS,
    }
  } finally {
    copy.remove()
    importCopy.remove()
  }
}

export function cliTable(times: CliTimes): string {
  const lines = Object.entries(times.commands).map(([name, ms]) => `  ${name.padEnd(22)} ${String(ms).padStart(6)} ms`)
  return [
    `${times.name} (median of ${times.rounds}; budget ${times.budgetMs} ms each; load average ${times.loadAverage.join(' → ')})`,
    `  ${'first run (migrations)'.padEnd(22)} ${String(times.firstRunMs).padStart(6)} ms`,
    ...lines,
  ].join('\n')
}
