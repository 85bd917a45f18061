/**
 * @module
 * Paths and shapes of the routes only the benchmark's Worker build has (bench/entry.ts).
 * Kept apart from the entry module, whose exports workerd reads as handlers.
 */

export const COUNTERS_PATH = '/__bench/counters'
export const HASH_PATH = '/__bench/hash'
/** One TOKEN_CACHE read of the key in KV_KEY_HEADER, with none of the app's code around it. */
export const KV_READ_PATH = '/__bench/kv-read'
export const KV_KEY_HEADER = 'X-Bench-Key'

export type Counters = { d1: number; kvReads: number; kvWrites: number }
