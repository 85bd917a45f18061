/**
 * @module
 * D1 and KV instrumentation for the tests and the benchmark, never for the deployed Worker:
 * `countBindings(env)` wraps `env.DB`, every token shard's binding (`TOKEN_SHARD_…`, and every
 * session `withSession(…)` opens on them) and `env.TOKEN_CACHE` in proxies before the app sees
 * them (test/setup.ts for the test pool, bench/entry.ts for the benchmark build). They
 * - count statements and KV operations, so a test or a benchmark row can prove that a path made
 *   no D1 query or no KV read (`d1QueryCount`, `kvReadCount`, `kvWriteCount`);
 * - while `traceIo(profile)` is on, delay every round trip as the profile says (a D1 `batch()` is
 *   one round trip) and record its kind, operation, start and end (`IoCall`), so `clientPath`
 *   can tell how many sequential round trips a request's client waited for.
 *
 * Primary or replica: the plain binding and a session opened with 'first-primary' go to D1's
 * primary; a session opened with 'first-unconstrained' or a bookmark may be served by a replica.
 * A token shard's primary is near the client when the profile's location is its binding's
 * (TOKEN_SHARD_3_OC for a client in Oceania), far otherwise, as the main database's primary is.
 */

let queries = 0
let reads = 0
let writes = 0

/** D1 statements run since the isolate started (each statement of a batch counts). */
export function d1QueryCount(): number {
  return queries
}

/** KV reads (`get`, `getWithMetadata`) since the isolate started. */
export function kvReadCount(): number {
  return reads
}

/** KV writes (`put`, `delete`) since the isolate started. */
export function kvWriteCount(): number {
  return writes
}

/**
 * Where a round trip goes: the main database's primary, a token shard's primary (`shard`: in the
 * client's region; `far-shard`: elsewhere), a D1 replica (of either), or KV.
 */
export type IoKind = 'primary' | 'shard' | 'far-shard' | 'replica' | 'kv'

/**
 * Milliseconds one round trip takes: to the main primary (far), to a token shard's primary in the
 * client's region (`shard`; a shard elsewhere costs `primary`), to a replica, to KV; and the
 * client's region, as the location in a shard's binding name (`OC`: TOKEN_SHARD_3_OC is near).
 */
export type IoProfile = { primary: number; shard: number; replica: number; kv: number; region: string }

/**
 * A client in Sydney with the main database's primary in Eastern North America: ~100 ms per round
 * trip to it (or to a token shard on another continent), ~10 ms to the token shard in Oceania and
 * to a replica in the region, ~30 ms per KV operation (issue #27's regional profile).
 */
export const SYDNEY_PROFILE: IoProfile = { primary: 100, shard: 10, replica: 10, kv: 30, region: 'OC' }

/** request.cf as Cloudflare fills it for a client in Sydney, for requests measured under SYDNEY_PROFILE. */
export const SYDNEY_CF = { colo: 'SYD', country: 'AU', continent: 'OC', latitude: '-33.86780', longitude: '151.20730' }

/** One round trip: its kind, what it was (`batch(3)`, `first`, `kv.put`…), its database, when it started and ended (ms). */
export type IoCall = { kind: IoKind; op: string; database?: string; start: number; end: number }

let profile: IoProfile | null = null
let trace: IoCall[] = []

/** From now on, delays every round trip as `delays` says and records it; `stopTracing` ends it. */
export function traceIo(delays: IoProfile): void {
  profile = delays
  trace = []
}

/** Ends tracing and returns the calls recorded since `traceIo`, in the order they started. */
export function stopTracing(): IoCall[] {
  profile = null
  const calls = trace
  trace = []
  return calls.sort((a, b) => a.start - b.start)
}

/** What the client of one request waited for. */
export type ClientPath = {
  /** Longest chain of round trips to the main database's primary one after another (concurrent ones count once). */
  primary: number
  /** The same for round trips to a token shard's primary, near or far. */
  shard: number
  /** The same for round trips to a far primary: the main database's, or a token shard's on another continent. */
  farPrimary: number
  /** The same for replica round trips. */
  replica: number
  /** The same for KV operations. */
  kv: number
  /** Longest chain of round trips of any kind, in ms of injected delay: the request's server I/O time. */
  ioMs: number
  /** The calls on the client's path, in order. */
  calls: IoCall[]
}

/**
 * The round trips a request's client waited for: the calls that started at or after `startedAt`
 * and ended by `respondedAt` (when the Worker's Response was ready). Work the Worker hands to
 * `ctx.waitUntil` ends after the response (it is still running then), so it is left out.
 * Calls that overlap in time ran concurrently: only chains of calls one after another add up.
 */
export function clientPath(calls: IoCall[], startedAt: number, respondedAt: number, delays: IoProfile): ClientPath {
  const path = calls.filter((call) => call.start >= startedAt && call.end <= respondedAt)
  const longest = (weight: (call: IoCall) => number): number => {
    const best: number[] = []
    for (let i = 0; i < path.length; i++) {
      let before = 0
      for (let j = 0; j < i; j++) if (path[j].end <= path[i].start) before = Math.max(before, best[j])
      best.push(before + weight(path[i]))
    }
    return Math.max(0, ...best)
  }
  const only =
    (...kinds: IoKind[]) =>
    (call: IoCall) =>
      kinds.includes(call.kind) ? 1 : 0
  return {
    primary: longest(only('primary')),
    shard: longest(only('shard', 'far-shard')),
    farPrimary: longest(only('primary', 'far-shard')),
    replica: longest(only('replica')),
    kv: longest(only('kv')),
    ioMs: longest((call) => delayOf(delays, call.kind)),
    calls: path,
  }
}

function delayOf(delays: IoProfile, kind: IoKind): number {
  return kind === 'far-shard' ? delays.primary : delays[kind]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Where a call to `database` goes under the current profile: a shard's primary is near only in the profile's region. */
function kindOf(kind: IoKind, database: string): IoKind {
  if (kind !== 'shard') return kind
  return profile && database.endsWith(`_${profile.region}`) ? 'shard' : 'far-shard'
}

/** Runs one round trip: half the profile's delay on the way there, the call, half on the way back. */
function roundTrip<T>(base: IoKind, database: string, op: string, call: () => Promise<T>): Promise<T> {
  if (!profile) return call()
  const kind = kindOf(base, database)
  const delay = delayOf(profile, kind)
  const record = trace
  return (async () => {
    const start = Date.now()
    await sleep(delay / 2)
    try {
      return await call()
    } finally {
      await sleep(delay / 2)
      record.push({ kind, op, database, start, end: Date.now() })
    }
  })()
}

/** Forwards every property to `target`, letting `around` replace the methods it wants to. */
function intercept<T extends object>(
  target: T,
  around: (property: PropertyKey, args: unknown[], call: () => unknown) => unknown,
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) =>
        around(property, args, () => (value as (...a: unknown[]) => unknown).apply(object, args))
    },
  })
}

// The statement each proxy stands for, so a batch hands D1 its own statements back.
const underlying = new WeakMap<D1PreparedStatement, D1PreparedStatement>()

const RUNS = new Set<PropertyKey>(['first', 'all', 'run', 'raw'])

const perDatabase = new Map<string, number>()

/** D1 statements run on each database (by binding) since the isolate started, each statement of a batch counted. */
export function d1QueryCountsByDatabase(): ReadonlyMap<string, number> {
  return perDatabase
}

function countQueries(database: string, n: number): void {
  queries += n
  perDatabase.set(database, (perDatabase.get(database) ?? 0) + n)
}

// Counts statements when they run, not when they are prepared: drizzle sometimes prepares one twice.
function countedStatement(statement: D1PreparedStatement, kind: IoKind, database: string): D1PreparedStatement {
  const proxy = intercept(statement, (property, args, call) => {
    // bind() returns a new statement, which must be counted too.
    if (property === 'bind') return countedStatement(statement.bind(...args), kind, database)
    if (!RUNS.has(property)) return call()
    countQueries(database, 1)
    return roundTrip(kind, database, String(property), call as () => Promise<unknown>)
  })
  underlying.set(proxy, statement)
  return proxy
}

/** The kind of a session's round trips: only 'first-primary' pins it to the primary. */
function sessionKind(constraintOrBookmark: unknown, primary: IoKind): IoKind {
  return constraintOrBookmark === 'first-primary' ? primary : 'replica'
}

function countedD1<T extends D1Database | D1DatabaseSession>(d1: T, kind: IoKind, database: string): T {
  return intercept(d1, (property, args, call) => {
    if (property === 'prepare') return countedStatement(d1.prepare(args[0] as string), kind, database)
    if (property === 'exec') {
      countQueries(database, 1)
      return roundTrip(kind, database, 'exec', call as () => Promise<unknown>)
    }
    if (property === 'batch') {
      const statements = args[0] as D1PreparedStatement[]
      countQueries(database, statements.length)
      return roundTrip(kind, database, `batch(${statements.length})`, () =>
        d1.batch(statements.map((statement) => underlying.get(statement) ?? statement)),
      )
    }
    if (property === 'withSession') {
      const [constraint] = args as Parameters<D1Database['withSession']>
      return countedD1((d1 as D1Database).withSession(constraint), sessionKind(constraint, kind), database)
    }
    return call()
  })
}

const KV_READS = new Set<PropertyKey>(['get', 'getWithMetadata'])
const KV_WRITES = new Set<PropertyKey>(['put', 'delete'])

function countedKv(kv: KVNamespace): KVNamespace {
  return intercept(kv, (property, _args, call) => {
    if (KV_READS.has(property)) reads++
    else if (KV_WRITES.has(property)) writes++
    else if (property !== 'list') return call()
    return roundTrip('kv', 'TOKEN_CACHE', `kv.${String(property)}`, call as () => Promise<unknown>)
  })
}

// One proxy per binding object, so the app's per-binding caches (src/db/client.ts getDb) still hit.
const wrapped = new WeakMap<object, object>()
const originals = new WeakMap<object, object>()

function once<T extends object>(binding: T, wrap: (binding: T) => T): T {
  let proxy = wrapped.get(binding) as T | undefined
  if (!proxy) {
    proxy = wrap(binding)
    wrapped.set(binding, proxy)
    wrapped.set(proxy, proxy)
    originals.set(proxy, binding)
  }
  return proxy
}

/** The binding `countBindings` wrapped (or `binding` itself if it is not a counting proxy): its work is not counted. */
export function uncounted<T extends object>(binding: T): T {
  return (originals.get(binding) as T | undefined) ?? binding
}

/** The names of the token shards' bindings in `env` (src/tokens/shards.ts). */
export function shardBindingNames(env: object): string[] {
  return Object.keys(env).filter((name) => /^TOKEN_SHARD_\d/.test(name))
}

/**
 * `env` with DB, the token shards and TOKEN_CACHE instrumented and the other bindings as they are;
 * the same object for the same `env`, so what the app caches per env (src/config.ts) is reused as
 * in production.
 */
export function countBindings<E extends { DB: D1Database; TOKEN_CACHE: KVNamespace }>(env: E): E {
  return once(env, (bindings) => ({
    ...bindings,
    DB: once(bindings.DB, (d1) => countedD1(d1, 'primary', 'DB')),
    ...Object.fromEntries(
      shardBindingNames(bindings).map((name) => {
        const d1 = (bindings as unknown as Record<string, D1Database>)[name]
        return [name, once(d1, (shard) => countedD1(shard, 'shard', name))]
      }),
    ),
    TOKEN_CACHE: once(bindings.TOKEN_CACHE, countedKv),
  }))
}
