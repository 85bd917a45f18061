/**
 * @module
 * Substring search as Django admin's `search_fields` (`icontains`): SQLite's LIKE, which
 * ignores case for ASCII letters, with the query's own `%`, `_` and `\` taken literally.
 */
import { type AnyColumn, type SQL, sql } from 'drizzle-orm'

/** `column` contains `text`. */
export function contains(column: AnyColumn, text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`
  return sql`${column} LIKE ${pattern} ESCAPE '\\'`
}
