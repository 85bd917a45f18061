/**
 * `npm run manage` in the tests: a command run against the test D1 and KV as the CLI runs it.
 * workerd has no node:util parseArgs, so `parse` reads the arguments with the command's own
 * options table (`--flag value`, boolean flags, `-x` short names, positionals).
 */
import { env } from 'cloudflare:test'
import { vi } from 'vitest'
import type { Command } from '../src/cli/commands/command.ts'
import type { Database } from '../src/cli/database.ts'
import { db } from './helpers.ts'

const database = { db, env, close: async () => {} } as unknown as Database

function parse(command: Command, args: string[]): { values: Record<string, unknown>; positionals: string[] } {
  const values: Record<string, unknown> = {}
  const positionals: string[] = []
  for (const [name, option] of Object.entries(command.options)) {
    if (option.default !== undefined) values[name] = option.default
  }
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith('-')) {
      positionals.push(args[i])
      continue
    }
    const name = args[i].startsWith('--')
      ? args[i].slice(2)
      : Object.entries(command.options).find(([, option]) => option.short === args[i].slice(1))?.[0]
    const option = name === undefined ? undefined : command.options[name]
    if (!name || !option) throw new Error(`Unknown option '${args[i]}'`)
    if (option.type === 'boolean') values[name] = true
    else values[name] = option.multiple ? [...((values[name] as string[]) ?? []), args[++i]] : args[++i]
  }
  return { values, positionals }
}

/** Runs a command; its stdout lines joined, or the Error it fails with (what the operator reads). */
export async function manage(command: Command, ...args: string[]): Promise<string> {
  if (command.offline) throw new Error('these commands need the database')
  const { values, positionals } = parse(command, args)
  const log = vi.spyOn(console, 'log').mockImplementation(() => {})
  try {
    await command.run(database, values, positionals)
    return log.mock.calls.map((call) => call.join(' ')).join('\n')
  } finally {
    log.mockRestore()
  }
}
