/**
 * @module
 * Paths and shapes of the routes only the benchmark's Worker build has (bench/entry.ts).
 * Kept apart from the entry module, whose exports workerd reads as handlers.
 */

export const COUNTERS_PATH = '/__bench/counters'
export const HASH_PATH = '/__bench/hash'

export type Counters = { d1: number; kvReads: number; kvWrites: number }
