/**
 * @module
 * Substring search as Django admin's `search_fields` (`icontains`): case-insensitive for ASCII
 * letters, the query's every character taken literally (`%`, `_` and `\` included). Written with
 * instr() rather than LIKE: D1 refuses a LIKE pattern over 50 bytes (SQLITE_LIMIT_LIKE_PATTERN_LENGTH),
 * which made any search over 48 bytes a storage error. SQLite's lower() folds ASCII only, as LIKE does.
 */
import { type AnyColumn, type SQL, sql } from 'drizzle-orm'

/**
 * The longest search text accepted (characters): the longest value a console search looks for, a URL
 * client_id (2000 characters, as a redirect URI), fits. Callers refuse longer text with a notice.
 */
export const SEARCH_MAX_LENGTH = 2000

/** Why `text` is not searched, or null. */
export function searchTextProblem(text: string): string | null {
  return text.length > SEARCH_MAX_LENGTH ? `Search text has at most ${SEARCH_MAX_LENGTH} characters.` : null
}

/** `column` contains `text`. */
export function contains(column: AnyColumn, text: string): SQL {
  return sql`instr(lower(${column}), lower(${text})) > 0`
}
