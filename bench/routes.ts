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

/**
 * A request carrying this header runs with test/counting.ts's Sydney profile (delays injected into
 * D1 and KV) and its response carries the client's path (IoPath, JSON) in the same header.
 * Send such requests one at a time: the trace is per isolate.
 */
export const IO_TRACE_HEADER = 'X-Bench-Io-Trace'

/** What one traced request's client waited for: sequential round trips and their delay in ms. */
export type IoPath = { primary: number; replica: number; kv: number; ioMs: number; calls: string[] }
