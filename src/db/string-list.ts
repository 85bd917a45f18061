/**
 * @module
 * A list of strings kept as a JSON array in a TEXT column, so a value is never split on a
 * separator it may itself contain (a space-joined list turned `"a b"` into two entries).
 */
import { customType } from 'drizzle-orm/sqlite-core'

/**
 * The stored text as a list; anything else reads as the empty list (fails closed, never a 500).
 * @internal Exported for tests: src/db/string-list.test.ts reads stored values the driver mapping meets.
 */
export function parseStringList(text: string): string[] {
  // '' is the columns' DDL default from before the lists (migrations/0006_application_uri_lists.sql converted the rows).
  if (text === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return []
  }
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : []
}

export const stringList = customType<{ data: string[]; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: parseStringList,
})
