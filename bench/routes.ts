/**
 * @module
 * Paths and shapes of the routes only the benchmark's Worker build has (bench/entry.ts).
 * Kept apart from the entry module, whose exports workerd reads as handlers.
 */
import type { ClientPath } from '../test/counting.ts'

export const COUNTERS_PATH = '/__bench/counters'
export const HASH_PATH = '/__bench/hash'
/** One TOKEN_CACHE read of the key in KV_KEY_HEADER, with none of the app's code around it. */
export const KV_READ_PATH = '/__bench/kv-read'
export const KV_KEY_HEADER = 'X-Bench-Key'

/** `d1ByDatabase`: statements per D1 binding (DB, TOKEN_SHARD_…). */
export type Counters = { d1: number; d1ByDatabase: Record<string, number>; kvReads: number; kvWrites: number }

/**
 * Every request to the benchmark's Worker comes from a client in Sydney (request.cf as
 * test/counting.ts SYDNEY_CF), so its new grants go to the Oceania shard, as the Sydney profile
 * assumes; a request with this header (request.cf as JSON) comes from where it says instead.
 */
export const CF_HEADER = 'X-Bench-Cf'

/**
 * A request carrying this header runs with test/counting.ts's Sydney profile (delays injected into
 * D1 and KV) and its response carries the client's path (IoPath, JSON) in the same header.
 * Send such requests one at a time: the trace is per isolate.
 */
export const IO_TRACE_HEADER = 'X-Bench-Io-Trace'

/** What one traced request's client waited for (test/counting.ts ClientPath), its calls as text. */
export type IoPath = Omit<ClientPath, 'calls'> & { calls: string[] }
