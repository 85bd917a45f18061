/**
 * @module
 * The shape of one `npm run manage -- <command>`.
 */
import type { ParseArgsOptionsConfig } from 'node:util'
import type { Database } from '../database.ts'

type CommandBase = {
  usage: string
  options: ParseArgsOptionsConfig
  /** Whether the command needs positional arguments (e.g. a username). */
  positionals?: boolean
}

export type Command = CommandBase &
  (
    | {
        offline?: false
        run(database: Database, values: Record<string, unknown>, positionals: string[]): Promise<void>
      }
    /** Needs no database (e.g. key generation): runs without opening one. */
    | { offline: true; run(values: Record<string, unknown>, positionals: string[]): Promise<void> }
  )
