/**
 * @module
 * The benchmark's machinery: serve a bundle with Miniflare (bindings from wrangler.toml),
 * seed D1 through the domain layer, drive load with autocannon on 127.0.0.1, and read the
 * server's CPU time from /proc and its D1/KV counters from the bench-only route.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import autocannon from 'autocannon'
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from 'miniflare'
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler'
import { getDb } from '../src/db/client.ts'
import { COUNTERS_PATH, type Counters } from './routes.ts'

/** wrangler's worker options for Miniflare, plus ours (Miniflare's own type is a deep union). */
type Options = Record<string, unknown> & { bindings: Record<string, unknown> }

export type Server = { mf: Miniflare; url: URL; options: Options }

/** Starts Miniflare on 127.0.0.1 with wrangler.toml's bindings, serving `script`. */
export async function serve(script: string, bindings: Record<string, string>): Promise<Server> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions('wrangler.toml')
  // wrangler.toml's [vars] only: never the developer's .dev.vars (which wrangler adds to the
  // bindings), whose local settings would change what is measured.
  const vars = unstable_readConfig({ config: 'wrangler.toml' }).vars
  // The bundle is the script plus the .wasm modules wrangler copied beside it (argon2's):
  // wrangler's module rules are for unbundled sources and do not apply. No [assets]: Miniflare
  // would run the asset router in-process before every request (~0.9 ms CPU, more than the whole
  // hot path), where production routes assets before the Worker is billed; no row asks for one.
  const { modulesRules: _rules, assets: _assets, ...worker } = workerOptions
  const outdir = dirname(script)
  const wasm = readdirSync(outdir).filter((name) => name.endsWith('.wasm'))
  const options = {
    ...worker,
    bindings: { ...vars, ...bindings },
    modulesRoot: outdir,
    modules: [
      { type: 'ESModule', path: script },
      ...wasm.map((name) => ({ type: 'CompiledWasm', path: join(outdir, name) })),
    ],
    ratelimits: unlimited(workerOptions.ratelimits ?? {}),
    host: '127.0.0.1',
    port: 0,
    // No per-request logging: it would be measured as the Worker's cost.
    logRequests: false,
    // Offline: do not fetch the real `request.cf` object from Cloudflare.
    cf: false,
    telemetry: { enabled: false },
    log: new Log(LogLevel.WARN),
  }
  // BENCH_INSPECTOR=<port> opens workerd's inspector, for a CPU profile of the Worker under load.
  const mf = new Miniflare({
    ...convertV4MiniflareOptions(options as V4MiniflareOptions),
    ...(process.env.BENCH_INSPECTOR ? { inspectorPort: Number(process.env.BENCH_INSPECTOR) } : {}),
  } as never)
  return { mf, url: await mf.ready, options }
}

// Kept at wrangler.toml's limits: rows 16a/16b measure what they refuse.
const LIMITS_MEASURED = new Set(['CLIENT_AUTH_CLIENT_LIMITER', 'CLIENT_AUTH_IP_LIMITER'])

/**
 * wrangler.toml's rate limiters with a limit no row reaches: the password-grant row measures
 * what a grant costs, not the 429 the brute-force limit (10 a minute per username) would give.
 * The client authentication limits stay as configured (LIMITS_MEASURED).
 */
function unlimited(ratelimits: object) {
  return Object.fromEntries(
    Object.entries(ratelimits as Record<string, { simple: object }>).map(([name, limiter]) => [
      name,
      LIMITS_MEASURED.has(name)
        ? limiter
        : { ...limiter, simple: { ...limiter.simple, limit: Number.MAX_SAFE_INTEGER } },
    ]),
  )
}

/**
 * Restarts the Worker with some bindings changed (undefined: removed, back to the default); D1 and KV
 * (in memory, never the dev database) keep their data.
 */
export async function rebind(server: Server, bindings: Record<string, string | undefined>): Promise<Server> {
  const merged = Object.entries({ ...server.options.bindings, ...bindings }).filter(([, value]) => value !== undefined)
  const options = { ...server.options, bindings: Object.fromEntries(merged) }
  await server.mf.setOptions(convertV4MiniflareOptions(options as V4MiniflareOptions))
  return { mf: server.mf, url: await server.mf.ready, options }
}

/** Drizzle over the D1 of the Worker running now (stubs taken before a rebind are poisoned). */
export async function currentDb(server: Server) {
  return getDb((await server.mf.getD1Database('DB')) as unknown as D1Database)
}

/** The token shards' binding names in wrangler.toml (src/tokens/shards.ts). */
export function shardBindingNamesOf(server: Server): string[] {
  const d1 = (server.options.d1Databases ?? {}) as string[] | Record<string, unknown>
  return (Array.isArray(d1) ? d1 : Object.keys(d1)).filter((name) => name.startsWith('TOKEN_SHARD_'))
}

/** Applies `dir`'s *.sql to `d1` the way `wrangler d1 migrations apply` would. */
async function migrate(d1: Awaited<ReturnType<Miniflare['getD1Database']>>, dir: string) {
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()) {
    const statements = readFileSync(join(dir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((statement) => statement.trim())
      .filter(Boolean)
    await d1.batch(statements.map((statement) => d1.prepare(statement)))
  }
}

/** Applies migrations/*.sql to DB (and migrations/shards/ to every token shard), and returns drizzle over DB. */
export async function migratedDb(server: Server) {
  const d1 = await server.mf.getD1Database('DB')
  await migrate(d1, 'migrations')
  for (const name of shardBindingNamesOf(server))
    await migrate(await server.mf.getD1Database(name), 'migrations/shards')
  return getDb(d1 as unknown as D1Database)
}

export async function counters(server: Server): Promise<Counters> {
  const response = await fetch(new URL(COUNTERS_PATH, server.url))
  return response.json() as Promise<Counters>
}

// Linux clock ticks per second for /proc/<pid>/stat utime and stime (getconf CLK_TCK).
const CLOCK_TICKS = 100

type Process = { pid: number; cpuTicks: number }

/** Every descendant process of this one (the workerd runtime Miniflare started), from /proc. */
function serverProcesses(): Process[] {
  const children = new Map<number, number[]>()
  const ticks = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // the process ended while we looked
    }
    // Fields after the parenthesised command name: state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const pid = Number(entry)
    const ppid = Number(fields[1])
    children.set(ppid, [...(children.get(ppid) ?? []), pid])
    ticks.set(pid, Number(fields[11]) + Number(fields[12]))
  }
  const found: Process[] = []
  const queue = [...(children.get(process.pid) ?? [])]
  while (queue.length > 0) {
    const pid = queue.pop() as number
    found.push({ pid, cpuTicks: ticks.get(pid) ?? 0 })
    queue.push(...(children.get(pid) ?? []))
  }
  return found
}

/** CPU milliseconds used so far by the server's processes (utime + stime). */
export function serverCpuMs(): number {
  return (serverProcesses().reduce((sum, p) => sum + p.cpuTicks, 0) * 1000) / CLOCK_TICKS
}

/**
 * With two or more cores, pins the load generator (this process) to core 0 and the server to
 * core 1, so neither steals the other's CPU: req/s then measures what the server can serve.
 * Returns how the processes were placed, for the report.
 */
export function pinProcesses(): string {
  if (cpus().length < 2) return 'not pinned (one core)'
  const pin = (core: number, pid: number) => spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)])
  if (pin(0, process.pid).status !== 0) return 'not pinned (taskset unavailable)'
  for (const { pid } of serverProcesses()) pin(1, pid)
  return 'load generator on core 0, server (workerd) on core 1'
}

// Enough requests in flight to keep the Worker busy, so req/s reflects its CPU cost, not latency.
export const DEFAULT_CONNECTIONS = 32

export type Load = {
  path: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /** Called for every request with its URL: returns headers to send (e.g. a fresh token, a DPoP proof for the URL). */
  perRequest?: (url: string) => Record<string, string>
  connections?: number
  /** Fixed number of requests instead of a duration (for rows that consume seeded data). */
  amount?: number
}

export type LoadResult = {
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  statuses: Record<string, number>
  errors: number
}

/** Drives `load` at the server for `seconds` (or `load.amount` requests) with autocannon. */
export async function drive(server: Server, load: Load, seconds: number): Promise<LoadResult> {
  const started = performance.now()
  const url = new URL(load.path, server.url).toString()
  const result = await autocannon({
    url,
    method: load.method ?? 'GET',
    headers: load.headers,
    body: load.body,
    connections: load.connections ?? DEFAULT_CONNECTIONS,
    ...(load.amount ? { amount: load.amount } : { duration: seconds }),
    requests: load.perRequest
      ? [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...load.perRequest?.(url) } }) }]
      : undefined,
  })
  const elapsed = (performance.now() - started) / 1000
  const statuses = result.statusCodeStats as unknown as Record<string, { count: number }> | undefined
  const requests = result['2xx'] + result.non2xx
  return {
    requests,
    seconds: elapsed,
    rps: requests / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses: Object.fromEntries(Object.entries(statuses ?? {}).map(([code, { count }]) => [code, count])),
    errors: result.errors + result.timeouts,
  }
}
