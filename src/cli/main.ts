/**
 * @module
 * The commands of `npm run manage -- <command> [options]` (started by ./manage.ts, which runs this
 * module bundled): Django-manage.py-like commands run in Node against the local D1 database (the
 * one `npm run dev` uses), or the deployed one with --remote; `--env NAME` picks a wrangler
 * environment. Only the command that runs is loaded.
 */
import { parseArgs } from 'node:util'
import type { Command } from './commands/command.ts'

const COMMANDS: Record<string, () => Promise<Command>> = {
  createsuperuser: async () => (await import('./commands/createsuperuser.ts')).createsuperuser,
  createuser: async () => (await import('./commands/createsuperuser.ts')).createuser,
  createapplication: async () => (await import('./commands/createapplication.ts')).createapplication,
  listapplications: async () => (await import('./commands/applications.ts')).listapplications,
  deleteapplication: async () => (await import('./commands/applications.ts')).deleteapplication,
  clientkeys: async () => (await import('./commands/clientkeys.ts')).clientkeys,
  trustedidp: async () => (await import('./commands/enterprise.ts')).trustedidp,
  idjagpolicy: async () => (await import('./commands/enterprise.ts')).idjagpolicy,
  'generate-secret-key': async () => (await import('./commands/generate-secret-key.ts')).generateSecretKey,
  'generate-signing-key': async () => (await import('./commands/generate-signing-key.ts')).generateSigningKey,
  drf_create_token: async () => (await import('./commands/drf_create_token.ts')).drf_create_token,
  listapikeys: async () => (await import('./commands/drf_create_token.ts')).listapikeys,
  revokeapikey: async () => (await import('./commands/drf_create_token.ts')).revokeapikey,
  cleartokens: async () => (await import('./commands/cleartokens.ts')).cleartokens,
  changepassword: async () => (await import('./commands/user-state.ts')).changepassword,
  deactivateuser: async () => (await import('./commands/user-state.ts')).deactivateuser,
  activateuser: async () => (await import('./commands/user-state.ts')).activateuser,
  deleteuser: async () => (await import('./commands/user-state.ts')).deleteuser,
  revoketokens: async () => (await import('./commands/user-state.ts')).revoketokens,
  'import-django': async () => (await import('./commands/import-django.ts')).importDjango,
}

async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()))
  const lines = commands.map((command) => `  ${command.usage}`)
  return `Usage: npm run manage -- <command> [--remote] [--env <wrangler environment>] [options]\n\nCommands:\n${lines.join('\n')}`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const load = name ? COMMANDS[name] : undefined
  if (!load) {
    console.error(name && name !== '--help' ? `Unknown command: ${name}\n\n${await usage()}` : await usage())
    return name && name !== '--help' ? 2 : 0
  }
  const command = await load()
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...command.options, remote: { type: 'boolean' }, env: { type: 'string' } },
    allowPositionals: command.positionals ?? false,
  })
  if (command.offline) {
    await command.run(values, positionals)
    return 0
  }
  const { openDatabase } = await import('./database.ts')
  const database = await openDatabase({ remote: Boolean(values.remote), environment: values.env as string | undefined })
  try {
    await command.run(database, values, positionals)
    return 0
  } finally {
    await database.close()
  }
}

/** What the person running the command reads: drizzle's `Failed query: <SQL and its parameters>` is replaced by its cause. */
async function describe(error: unknown): Promise<unknown> {
  const { DrizzleQueryError } = await import('drizzle-orm')
  let current = error
  while (current instanceof DrizzleQueryError && current.cause instanceof Error) current = current.cause
  return current instanceof Error ? current.message : current
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(await describe(error))
    process.exit(1)
  },
)
