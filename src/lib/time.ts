/**
 * @module
 * The clock in the unit the data uses: expiry columns, JWT claims and session cookies all
 * hold Unix seconds. Imports nothing, so every layer may use it.
 */

/** Now, in whole Unix seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
