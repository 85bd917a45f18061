/**
 * @module
 * The shape of one `npm run manage -- <command>`.
 */
import type { ParseArgsOptionsConfig } from 'node:util'
import type { Database } from '../database.ts'

export type Command = {
  usage: string
  options: ParseArgsOptionsConfig
  /** Whether the command needs positional arguments (e.g. a username). */
  positionals?: boolean
  run(database: Database, values: Record<string, unknown>, positionals: string[]): Promise<void>
}
