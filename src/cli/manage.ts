/**
 * @module
 * `npm run manage -- <command> [options]`: Django-manage.py-like commands run in Node
 * against the local D1 database (the one `npm run dev` uses), or the deployed one with --remote.
 */
import { parseArgs } from 'node:util'
import { DrizzleQueryError } from 'drizzle-orm'
import { deleteapplication, listapplications } from './commands/applications.ts'
import { cleartokens } from './commands/cleartokens.ts'
import { clientkeys } from './commands/clientkeys.ts'
import type { Command } from './commands/command.ts'
import { createapplication } from './commands/createapplication.ts'
import { createsuperuser, createuser } from './commands/createsuperuser.ts'
import { drf_create_token, listapikeys, revokeapikey } from './commands/drf_create_token.ts'
import { generateSigningKey } from './commands/generate-signing-key.ts'
import { importDjango } from './commands/import-django.ts'
import { activateuser, changepassword, deactivateuser, deleteuser, revoketokens } from './commands/user-state.ts'
import { openDatabase } from './database.ts'

const COMMANDS: Record<string, Command> = {
  createsuperuser,
  createuser,
  createapplication,
  listapplications,
  deleteapplication,
  clientkeys,
  'generate-signing-key': generateSigningKey,
  drf_create_token,
  listapikeys,
  revokeapikey,
  cleartokens,
  changepassword,
  deactivateuser,
  activateuser,
  deleteuser,
  revoketokens,
  'import-django': importDjango,
}

function usage(): string {
  const lines = Object.values(COMMANDS).map((command) => `  ${command.usage}`)
  return `Usage: npm run manage -- <command> [--remote] [options]\n\nCommands:\n${lines.join('\n')}`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const command = name ? COMMANDS[name] : undefined
  if (!command) {
    console.error(name && name !== '--help' ? `Unknown command: ${name}\n\n${usage()}` : usage())
    return name && name !== '--help' ? 2 : 0
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...command.options, remote: { type: 'boolean' } },
    allowPositionals: command.positionals ?? false,
  })
  if (command.offline) {
    await command.run(values, positionals)
    return 0
  }
  const database = await openDatabase({ remote: Boolean(values.remote) })
  try {
    await command.run(database, values, positionals)
    return 0
  } finally {
    await database.close()
  }
}

/** What the person running the command reads: drizzle's `Failed query: <SQL and its parameters>` is replaced by its cause. */
function describe(error: unknown): unknown {
  let current = error
  while (current instanceof DrizzleQueryError && current.cause instanceof Error) current = current.cause
  return current instanceof Error ? current.message : current
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describe(error))
    process.exit(1)
  },
)
