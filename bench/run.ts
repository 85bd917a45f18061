/**
 * `npm run bench`: builds the deployable bundle (with the bench-only entry of bench/entry.ts),
 * serves it with Miniflare on 127.0.0.1 with wrangler.toml's bindings, seeds D1, drives every
 * row of bench/rows.ts with autocannon, prints one table (also written to bench/results.json)
 * and exits non-zero when a budget does not hold. BENCH_SECONDS sets the length of each slice;
 * BENCH_ROWS=bearer-memory,bearer-kv measures only those rows (and the baseline). Before the
 * load rows, the cold-start row (bench/cold-start.ts) starts fresh isolates; BENCH_ROWS=cold-start
 * runs only that one. After them, the cleanup row (bench/cleanup.ts) measures the cron's deletes;
 * BENCH_ROWS=cleanup runs only that one and updates only its entry of bench/results.json; so does
 * the row-size row (bench/row-size.ts: bytes per token pair, with its budget), BENCH_ROWS=row-size.
 * Before everything, the CLI row (bench/cli.ts) times each local `npm run manage` command against
 * 2 s; BENCH_ROWS=cli runs only that one and updates only its entry.
 */

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { count, eq, sql } from 'drizzle-orm'
import { buildBundle, gzipBytes } from '../scripts/bundle.ts'
import { createUser } from '../src/accounts/users.ts'
import { getConfig } from '../src/config.ts'
import { sha256Hex } from '../src/crypto/digest.ts'
import { generateSigningKeySet } from '../src/crypto/signing-keys.ts'
import { keyedTokenFormat } from '../src/crypto/token-format.ts'
import type { Db } from '../src/db/client.ts'
import { accessTokens, applications, users } from '../src/db/schema.ts'
import { createApplication } from '../src/oauth/applications.ts'
import { issueApiKey } from '../src/tokens/api-keys.ts'
import { createAuthorizationCode } from '../src/tokens/authorization-codes.ts'
import { issueTokensIf } from '../src/tokens/issue.ts'
import { chooseShard, shardBindings, standaloneShards } from '../src/tokens/shards.ts'
import { accessTokenCacheKey, standaloneTokenStore } from '../src/tokens/store.ts'
import { SYDNEY_CF } from '../test/counting.ts'
import { CLEANUP_ROW, type CleanupThroughput, cleanupTable, measureCleanup } from './cleanup.ts'
import { CLI_ROW, type CliTimes, cliTable, measureCli } from './cli.ts'
import { COLD_START_ROW, type ColdStart, coldStartTable, measureColdStart } from './cold-start.ts'
import { dpopSigner } from './dpop.ts'
import {
  counters,
  currentDb,
  drive,
  type Load,
  migratedDb,
  pinProcesses,
  rebind,
  type Server,
  serve,
  serverCpuMs,
  shardBindingNamesOf,
} from './harness.ts'
import { type Counters, IO_TRACE_HEADER, type IoPath } from './routes.ts'
import { measureRowSize, ROW_SIZE_BUDGET_BYTES, ROW_SIZE_ROW, type RowSize, rowSizeTable } from './row-size.ts'
import { BUDGETS, type Call, COLD_REQUESTS, IO_ROWS, type Measured, ROWS, type Row, type Seeded } from './rows.ts'
import {
  measureShardSpread,
  SHARD_SPREAD_ROW,
  type ShardSpread,
  SPREAD_BUDGET,
  shardSpreadTable,
} from './shard-spread.ts'

/** Length of one slice of load, the row's and the baseline's alike. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1)
const WARMUP_SECONDS = 1
/** Rounds per row; each round is one slice of the baseline and one of the row, in alternating order. */
const ROUNDS = 6
const OUT = 'bench/out'
const ONLY = process.env.BENCH_ROWS?.split(',')
const COMMAND = 'npm run bench'
// The Worker's secrets: the benchmark's Worker gets throwaway ones.
const BENCH_SECRETS = {
  SECRET_KEY: 'bench-only-secret-key',
  OIDC_SIGNING_KEYS: await generateSigningKeySet(['RS256']),
}

type Result = {
  id: string
  name: string
  note: string
  rps?: number
  p50?: number
  p99?: number
  cpuMsPerRequest?: number
  ratioToBaseline?: number
  /** Lowest and highest ratio of a single round: how much the machine moved during the row. */
  ratioRange?: [number, number]
  d1PerRequest?: number
  kvReadsPerRequest?: number
  kvWritesPerRequest?: number
  requests?: number
  kvReads?: number
  /** Sequential round trips to the main database's primary on the client's path (one traced request). */
  primaryRoundTrips?: number
  /** The same to a token shard's primary (near or far). */
  shardRoundTrips?: number
  /** The same to a far primary: the main database's, or a token shard's on another continent (issue #27: 0 for a grant). */
  farPrimaryRoundTrips?: number
  /** Sequential round trips to a D1 replica on the client's path. */
  replicaRoundTrips?: number
  /** Server I/O time of that request under the Sydney profile (test/counting.ts), in ms. */
  ioMsSydneyProfile?: number
}

// Rate-limit windows (wrangler.toml `period`) are aligned to the wall clock, in Miniflare as on
// Workers. A primed row (its priming, up to ~10 s of slow checks, then warm-up, rounds and trace)
// must fit in one window, or the budget it spent comes back mid-row: it starts with a window.
const LIMITER_PERIOD_SECONDS = 60
const PRIMED_ROW_SECONDS = 55

/** Waits for the next rate-limit window unless at least `seconds` of the current one are left. */
async function freshLimiterWindow(seconds: number): Promise<void> {
  const periodMs = LIMITER_PERIOD_SECONDS * 1000
  const left = periodMs - (Date.now() % periodMs)
  if (left < seconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 250))
}

/**
 * `liveDb()` is the D1 handle of the Worker running now: a restart (rebind) poisons the stubs
 * Miniflare handed out before it, so anything used after one (mintCode, cleanup) asks again.
 */
async function seed(db: Db, server: Server, liveDb: () => Db = () => db): Promise<Seeded> {
  const username = 'bench-user'
  const password = 'bench password, not secret'
  const user = await createUser(db, { username, password })
  const app = await createApplication(db, { name: 'bench', clientType: 'confidential', grantTypes: ['password'] })
  const clientSecret = app.clientSecret ?? ''
  const service = await createApplication(db, {
    name: 'bench service',
    clientType: 'confidential',
    grantTypes: ['client-credentials'],
  })
  const imported = await createApplication(db, {
    name: 'bench imported service',
    clientType: 'confidential',
    grantTypes: ['client-credentials'],
  })
  // As `manage import-django` leaves a DOT ≥ 2 client (Django 5.2's test vector: 1,000,000 iterations).
  await db
    .update(applications)
    .set({ clientSecretHash: '', djangoClientSecret: DJANGO_1M })
    .where(eq(applications.id, imported.id))
  const kv = await server.mf.getKVNamespace('TOKEN_CACHE')
  const tokens = keyedTokenFormat(BENCH_SECRETS.SECRET_KEY)
  const { key: apiKey } = await issueApiKey(standaloneTokenStore(db, kv as unknown as KVNamespace, tokens), user.id)
  // The row-2/3 token goes through the real token endpoint, so it is in D1 and KV.
  const response = await fetch(new URL('/o/token/', server.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username,
      password,
      client_id: app.clientId,
      client_secret: clientSecret,
    }),
  })
  if (response.status !== 200) throw new Error(`seeding: token endpoint answered ${response.status}`)
  const { access_token: bearer } = (await response.json()) as { access_token: string }
  // The DPoP rows' token: the same user and client, bound to the load generator's key (RFC 9449 §6.1),
  // in D1 and KV as the token endpoint leaves it.
  const signer = await dpopSigner()
  const bound = await issueTokensIf(
    standaloneTokenStore(db, kv as unknown as KVNamespace, tokens),
    {
      userId: user.id,
      username,
      applicationId: app.id,
      clientId: app.clientId,
      scopes: ['read', 'write'],
      accessLifetime: 86400,
      refreshLifetime: null,
      jkt: signer.jkt,
    },
    undefined,
  )
  if (!bound) throw new Error('seeding: the DPoP-bound token was not issued')
  const dpopToken = bound.accessToken

  // Cold-row tokens: stored in D1 only, so their first use misses both cache tiers.
  const coldTokens: string[] = []
  const expiresAt = Math.floor(Date.now() / 1000) + 86400
  const rows = []
  for (let i = 0; i < COLD_REQUESTS * 1.3; i++) {
    const token = await tokens.mint('access')
    coldTokens.push(token)
    rows.push({ tokenHash: await sha256Hex(token), userId: user.id, applicationId: app.id, scope: 'read', expiresAt })
  }
  // 5 bound parameters a row: 16 rows a statement stays under D1's 100.
  const inserts = []
  for (let i = 0; i < rows.length; i += 16) inserts.push(db.insert(accessTokens).values(rows.slice(i, i + 16)))
  for (let i = 0; i < inserts.length; i += 50) {
    const [first, ...rest] = inserts.slice(i, i + 50)
    await db.batch([first, ...rest])
  }
  const redirectUri = 'https://client.example.com/callback'
  const codeApp = await createApplication(db, {
    name: 'bench code flow',
    clientType: 'confidential',
    grantTypes: ['authorization-code'],
    redirectUris: [redirectUri],
  })
  // A code as the consent page of a client in Sydney mints it: in the Oceania shard.
  const mintCode = async () => {
    const databases: Record<string, unknown> = { DB: await server.mf.getD1Database('DB') }
    for (const name of shardBindingNamesOf(server)) databases[name] = await server.mf.getD1Database(name)
    const sydney = () => chooseShard(shardBindings(Object.keys(databases)), new Map(), SYDNEY_CF)
    const shards = standaloneShards(databases as { DB: D1Database }, sydney)
    const store = standaloneTokenStore(liveDb(), kv as unknown as KVNamespace, tokens, undefined, shards)
    return createAuthorizationCode(store, {
      applicationId: codeApp.id,
      userId: user.id,
      redirectUri,
      scopes: ['read'],
      codeChallenge: '',
      codeChallengeMethod: '',
      nonce: '',
      authTime: Math.floor(Date.now() / 1000),
      lifetime: 600,
    })
  }
  return {
    codeClientId: codeApp.clientId,
    codeClientSecret: codeApp.clientSecret ?? '',
    redirectUri,
    mintCode,
    bearer,
    bearerCacheKey: accessTokenCacheKey(await sha256Hex(bearer)),
    dpopToken,
    dpopProof: (url) => signer.proof(url, dpopToken),
    apiKey,
    username,
    password,
    clientId: app.clientId,
    clientSecret,
    serviceClientId: service.clientId,
    serviceClientSecret: service.clientSecret ?? '',
    importedClientId: imported.clientId,
    coldTokens,
  }
}

function spreadOf(server: Server, seeded: Seeded): Promise<ShardSpread> {
  return measureShardSpread(server, { clientId: seeded.serviceClientId, clientSecret: seeded.serviceClientSecret })
}

const DJANGO_1M = 'pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps='

// Django's UNUSABLE_PASSWORD_PREFIX: a hash starting with `!` never matches any password.
const UNUSABLE_PASSWORD = '!bench-bulk-user'

/**
 * Adds users until D1 holds `total`, in one INSERT whose rows a recursive CTE generates: no
 * bound parameter per row (D1 allows 100 a statement) and no password hashing, since nobody
 * logs in as them. Each row also fires the users-count trigger (migrations/0002_users_row_count.sql).
 */
async function growUsers(db: Db, total: number): Promise<void> {
  const [{ present }] = await db.select({ present: count() }).from(users)
  if (present > total) throw new Error(`a row wants ${total} users but ${present} are already seeded`)
  if (present === total) return
  const started = performance.now()
  await db.run(sql`
    WITH RECURSIVE n(i) AS (SELECT ${present + 1} UNION ALL SELECT i + 1 FROM n WHERE i < ${total})
    INSERT INTO users (username, email, password)
    SELECT 'bench-bulk-' || i, 'bench-bulk-' || i || '@example.com', ${UNUSABLE_PASSWORD} FROM n`)
  console.error(`seeded ${total - present} users in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * Sends one request of `load` with the Sydney profile on (bench/entry.ts) and returns what its
 * client waited for. One request at a time: the trace is per isolate.
 */
async function traceOnce(server: Server, load: Load, expected: number | undefined): Promise<IoPath | null> {
  const url = new URL(load.path, server.url)
  const response = await fetch(url, {
    method: load.method ?? 'GET',
    redirect: 'manual',
    headers: { ...load.headers, ...load.perRequest?.(url.toString()), [IO_TRACE_HEADER]: '1' },
    body: load.body,
  })
  await response.arrayBuffer()
  if (expected !== undefined && response.status !== expected) {
    throw new Error(`${load.path} (traced): ${response.status}, expected ${expected}`)
  }
  return JSON.parse(response.headers.get(IO_TRACE_HEADER) ?? 'null') as IoPath | null
}

/** The trace's figures; none for a bench-only route outside the traced app (row 8b's hash check). */
function ioFields(
  path: IoPath | null,
): Partial<
  Pick<
    Result,
    'primaryRoundTrips' | 'shardRoundTrips' | 'farPrimaryRoundTrips' | 'replicaRoundTrips' | 'ioMsSydneyProfile'
  >
> {
  if (path === null) return {}
  return {
    primaryRoundTrips: path.primary,
    shardRoundTrips: path.shard,
    farPrimaryRoundTrips: path.farPrimary,
    replicaRoundTrips: path.replica,
    ioMsSydneyProfile: path.ioMs,
  }
}

type Sample = { requests: number; seconds: number; rps: number; p50: number; p99: number; cpuMs: number } & Omit<
  Counters,
  'd1ByDatabase'
>

/** One timed run of `load`, with the server's CPU time and D1/KV counters around it. */
async function sample(server: Server, load: Load, expected: number | undefined, seconds: number): Promise<Sample> {
  const before = await counters(server)
  const cpuBefore = serverCpuMs()
  const run = await drive(server, load, seconds)
  const cpuMs = serverCpuMs() - cpuBefore
  const after = await counters(server)
  const unexpected = Object.keys(run.statuses).filter((status) => Number(status) !== expected)
  if (run.errors > 0 || unexpected.length > 0 || run.requests === 0) {
    throw new Error(
      `${load.path}: ${run.errors} errors, statuses ${JSON.stringify(run.statuses)}, expected ${expected}`,
    )
  }
  return {
    requests: run.requests,
    seconds: run.seconds,
    rps: run.rps,
    p50: run.p50,
    p99: run.p99,
    cpuMs,
    d1: after.d1 - before.d1,
    kvReads: after.kvReads - before.kvReads,
    kvWrites: after.kvWrites - before.kvWrites,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function total(samples: Sample[], pick: (s: Sample) => number): number {
  return samples.reduce((sum, s) => sum + pick(s), 0)
}

/** Responses ÷ seconds over all of the samples' slices. */
function rate(samples: Sample[]): number {
  return total(samples, (s) => s.requests) / total(samples, (s) => s.seconds)
}

/**
 * Throughput: responses ÷ seconds over all rounds, and its ratio to the baseline's over the
 * slices paired with them; latency: medians over rounds; CPU and counters: totals ÷ responses.
 */
function combine(samples: Sample[], references: Sample[]): Omit<Result, 'id' | 'name' | 'note'> {
  const requests = total(samples, (s) => s.requests)
  const ratios = samples.map((s, i) => s.rps / references[i].rps)
  return {
    requests,
    rps: rate(samples),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    cpuMsPerRequest: total(samples, (s) => s.cpuMs) / requests,
    ratioToBaseline: rate(samples) / rate(references),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    d1PerRequest: total(samples, (s) => s.d1) / requests,
    kvReadsPerRequest: total(samples, (s) => s.kvReads) / requests,
    kvWritesPerRequest: total(samples, (s) => s.kvWrites) / requests,
    kvReads: total(samples, (s) => s.kvReads),
  }
}

function cpuPerRequest(s: Sample): string {
  return (s.cpuMs / s.requests).toFixed(3)
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined ? '' : value.toFixed(digits)
}

function table(results: Result[]): string {
  const header = [
    'row',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU ms/req',
    '× baseline (rounds)',
    'D1/req',
    'KV reads/req',
    'primary RTs',
    'shard RTs',
    'far RTs',
    'I/O ms (Sydney)',
    'note',
  ]
  const lines = results.map((r) => [
    r.name,
    fmt(r.rps, 0),
    fmt(r.p50, 1),
    fmt(r.p99, 1),
    fmt(r.cpuMsPerRequest, 3),
    r.ratioRange && r.id !== 'baseline'
      ? `${fmt(r.ratioToBaseline, 2)} (${fmt(r.ratioRange[0], 2)}–${fmt(r.ratioRange[1], 2)})`
      : fmt(r.ratioToBaseline, 2),
    fmt(r.d1PerRequest, 3),
    fmt(r.kvReadsPerRequest, 4),
    r.primaryRoundTrips === undefined ? '' : `${r.primaryRoundTrips} (+${r.replicaRoundTrips ?? 0} replica)`,
    fmt(r.shardRoundTrips, 0),
    fmt(r.farPrimaryRoundTrips, 0),
    fmt(r.ioMsSydneyProfile, 0),
    r.note,
  ])
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [row(header), row(header.map(() => '---')), ...lines.map(row)].join('\n')
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  }
}

async function main(): Promise<number> {
  // First, while nothing else of the benchmark runs: the CLI's wall time is the machine's.
  let cli: CliTimes | undefined
  if (!ONLY || ONLY.includes(CLI_ROW)) {
    console.error(`measuring the CLI (${CLI_ROW}) …`)
    cli = measureCli()
  }
  if (ONLY?.every((id) => id === CLI_ROW) && cli) {
    const previous = existsSync('bench/results.json') ? JSON.parse(readFileSync('bench/results.json', 'utf8')) : {}
    writeFileSync('bench/results.json', `${JSON.stringify({ ...previous, cli }, null, 2)}\n`)
    console.log(
      `\n${cliTable(cli)}\n\nbudget: every local manage command ≤ ${cli.budgetMs} ms: ${cli.holds ? 'holds' : 'FAILS'}`,
    )
    return cli.holds ? 0 : 1
  }
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  console.error('building the bundle (wrangler deploy --dry-run) …')
  const script = buildBundle(join(OUT, 'bundle'), 'bench/entry.ts')
  const bundleGzipBytes = gzipBytes(script)

  // Before the load rows' server starts: its CPU is read over every process this one started.
  let coldStart: ColdStart | undefined
  if (!ONLY || ONLY.includes(COLD_START_ROW)) {
    console.error(`measuring the cold start (${COLD_START_ROW}) …`)
    coldStart = await measureColdStart(script, BENCH_SECRETS)
  }
  if (ONLY?.every((id) => id === COLD_START_ROW) && coldStart) {
    writeFileSync(
      'bench/results.json',
      `${JSON.stringify({ command: COMMAND, date: new Date().toISOString(), machine: machine(), bundleGzipBytes, coldStart }, null, 2)}\n`,
    )
    console.log(`\n${coldStartTable(coldStart)}`)
    return 0
  }

  let server = await serve(script, BENCH_SECRETS)
  if (ONLY?.every((id) => id === CLEANUP_ROW || id === ROW_SIZE_ROW || id === SHARD_SPREAD_ROW)) {
    try {
      const db = await migratedDb(server)
      const seeded = await seed(db, server)
      const previous = existsSync('bench/results.json') ? JSON.parse(readFileSync('bench/results.json', 'utf8')) : {}
      const shardSpread = ONLY.includes(SHARD_SPREAD_ROW) ? await spreadOf(server, seeded) : undefined
      const rowSize = ONLY.includes(ROW_SIZE_ROW) ? await measureRowSize(server, BENCH_SECRETS.SECRET_KEY) : undefined
      const cleanup = ONLY.includes(CLEANUP_ROW) ? await measureCleanup(server, db) : undefined
      const measured = { ...(shardSpread && { shardSpread }), ...(rowSize && { rowSize }), ...(cleanup && { cleanup }) }
      writeFileSync('bench/results.json', `${JSON.stringify({ ...previous, ...measured }, null, 2)}\n`)
      if (shardSpread) console.log(`\n${shardSpreadTable(shardSpread)}`)
      if (rowSize) console.log(`\n${rowSizeTable(rowSize)}`)
      if (cleanup) console.log(`\n${cleanupTable(cleanup)}`)
      return rowSize?.holds === false || shardSpread?.holds === false ? 1 : 0
    } finally {
      await server.mf.dispose()
    }
  }
  const base = server.options as { bindings: Record<string, string> }
  const memorySeconds = getConfig(base.bindings).tokenCache.memorySeconds
  try {
    let db = await migratedDb(server)
    const seeded = await seed(db, server, () => db)
    let placement = pinProcesses()
    const results: Result[] = []
    const baselineRow = ROWS.find((row) => row.id === 'baseline') as Row
    const baselineLoad = baselineRow.load(seeded)
    const baselineSamples: Sample[] = []
    let current: Record<string, string> = {}
    let restarted = true
    // A same-origin request to the Worker running now (the IO rows' requests, the rows' priming).
    const call: Call = (path, init) => {
      const origin = server.url.origin
      return fetch(new URL(path, origin), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), Origin: origin },
      })
    }
    // Rows that change bindings run last, so the Worker restarts as few times as possible.
    const order = [...ROWS].sort((a, b) => Number(Boolean(a.bindings)) - Number(Boolean(b.bindings)))
    for (const row of order) {
      if (row.id === 'baseline' || (ONLY && !ONLY.includes(row.id))) continue
      if (row.users !== undefined) await growUsers(db, row.users)
      const bindings = row.bindings ?? {}
      if (JSON.stringify(bindings) !== JSON.stringify(current)) {
        const restore = Object.fromEntries(Object.keys(current).map((key) => [key, base.bindings[key]]))
        server = await rebind(server, { ...restore, ...bindings })
        db = await currentDb(server)
        placement = pinProcesses()
        current = bindings
        restarted = true
      }
      console.error(`measuring ${row.name} …`)
      let primed = ''
      if (row.prime) {
        await freshLimiterWindow(PRIMED_ROW_SECONDS)
        const cpuBefore = serverCpuMs()
        primed = await row.prime(seeded, call)
        primed += ` (${(serverCpuMs() - cpuBefore).toFixed(0)} ms CPU, unmeasured)`
        console.error(`  primed: ${primed}`)
      }
      const load = row.load(seeded)
      // Rows that consume seeded data (amount) split it over the warm-up and the rounds.
      const perRound = load.amount ? { ...load, amount: Math.floor(load.amount / ROUNDS) } : load
      // A (re)started Worker warms the baseline's path once; later rows find it warm.
      if (restarted) await drive(server, { ...baselineLoad }, WARMUP_SECONDS)
      restarted = false
      await drive(server, load.amount ? { ...load, amount: Math.floor(load.amount / 5) } : load, WARMUP_SECONDS)
      const measureRow = async () => {
        // One request first: the memory tier may have expired during the baseline's slice, and
        // the row measures steady state, not every connection missing the cache at once.
        await drive(server, { ...load, amount: 1, connections: 1 }, 1)
        return sample(server, perRound, row.status, SECONDS)
      }
      const measureBaseline = () => sample(server, baselineLoad, baselineRow.status, SECONDS)
      // Every slice of the row is paired with a slice of the baseline next to it in time, which
      // cancels most of the drift of a shared machine; the pair's order alternates (baseline,
      // row, row, baseline, …), so neither side always runs first.
      const samples: Sample[] = []
      const references: Sample[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const baselineFirst = round % 2 === 0
        const reference = baselineFirst ? await measureBaseline() : undefined
        const measured = await measureRow()
        const paired = reference ?? (await measureBaseline())
        references.push(paired)
        samples.push(measured)
        console.error(
          `  round ${round + 1}: baseline ${paired.rps.toFixed(0)} req/s, ${cpuPerRequest(paired)} ms CPU; ` +
            `row ${measured.rps.toFixed(0)} req/s, ${cpuPerRequest(measured)} ms CPU; ratio ${(measured.rps / paired.rps).toFixed(3)}`,
        )
      }
      baselineSamples.push(...references)
      const note = [
        Object.entries(bindings)
          .map(([key, value]) => `${key}=${value}`)
          .join(' '),
        primed,
      ]
        .filter(Boolean)
        .join('; ')
      const io = await traceOnce(server, { ...load, amount: undefined }, row.status)
      console.error(`  Sydney profile: ${JSON.stringify(io)}`)
      results.push({ id: row.id, name: row.name, note, ...combine(samples, references), ...ioFields(io) })
    }
    // Rows measured for their round trips only, on the Worker as wrangler.toml configures it.
    if (JSON.stringify(current) !== '{}') {
      const restore = Object.fromEntries(Object.keys(current).map((key) => [key, base.bindings[key]]))
      server = await rebind(server, restore)
      db = await currentDb(server)
      current = {}
    }
    for (const row of IO_ROWS) {
      if (ONLY && !ONLY.includes(row.id)) continue
      console.error(`tracing ${row.name} …`)
      const io = await traceOnce(server, await row.request(seeded, call), row.status)
      console.error(`  Sydney profile: ${JSON.stringify(io)}`)
      results.push({ id: row.id, name: row.name, note: 'round trips only (no load)', ...ioFields(io) })
    }
    results.push({
      id: 'baseline',
      name: baselineRow.name,
      note: 'a slice next to every slice of every row',
      ...combine(baselineSamples, baselineSamples),
      ...ioFields(await traceOnce(server, baselineLoad, baselineRow.status)),
    })
    let shardSpread: ShardSpread | undefined
    if (!ONLY || ONLY.includes(SHARD_SPREAD_ROW)) {
      console.error(`measuring ${SHARD_SPREAD_ROW} …`)
      shardSpread = await spreadOf(server, seeded)
    }
    // Last, as cleanup: it leaves D1 with 1,800 more token pairs, which the load rows should not see.
    let rowSize: RowSize | undefined
    if (!ONLY || ONLY.includes(ROW_SIZE_ROW)) {
      console.error(`measuring ${ROW_SIZE_ROW} …`)
      rowSize = await measureRowSize(server, BENCH_SECRETS.SECRET_KEY)
    }
    // Last: it leaves D1 with 50,000 more refresh tokens, which the load rows should not see.
    let cleanup: CleanupThroughput | undefined
    if (!ONLY || ONLY.includes(CLEANUP_ROW)) {
      console.error(`measuring ${CLEANUP_ROW} …`)
      cleanup = await measureCleanup(server, db)
    }
    const position = (id: string) => {
      const index = ROWS.findIndex((r: Row) => r.id === id)
      return index >= 0 ? index : ROWS.length + IO_ROWS.findIndex((r) => r.id === id)
    }
    results.sort((a, b) => position(a.id) - position(b.id))
    const hash = results.find((r) => r.id === 'hash')
    const password = results.find((r) => r.id === 'password')
    if (hash?.cpuMsPerRequest && password)
      password.note = `of which ≈ ${hash.cpuMsPerRequest.toFixed(1)} ms CPU is the password hash (row 8b)`
    const kvHit = results.find((r) => r.id === 'bearer-kv')
    const floor = results.find((r) => r.id === 'kv-floor')
    if (kvHit?.rps && floor?.rps) kvHit.note += `; ${((100 * kvHit.rps) / floor.rps).toFixed(0)}% of row 3' req/s`

    const measured: Record<string, Measured> = {}
    for (const r of results) {
      if (r.rps !== undefined) {
        measured[r.id] = {
          rps: r.rps,
          ratio: r.ratioToBaseline ?? Number.NaN,
          cpuMsPerRequest: r.cpuMsPerRequest ?? Number.NaN,
          d1PerRequest: r.d1PerRequest ?? 0,
          kvReadsPerRequest: r.kvReadsPerRequest ?? 0,
          kvReads: r.kvReads ?? 0,
        }
      }
    }
    // The memory tier re-reads KV once per token every TOKEN_MEMORY_CACHE_SECONDS (refresh-ahead).
    const memoryRefreshes = memorySeconds > 0 ? ROUNDS * (Math.ceil(SECONDS / memorySeconds) + 1) : 0
    const budgets = BUDGETS.map((budget) => {
      const missing = budget.rows.filter((id) => !measured[id])
      const verdict =
        missing.length > 0
          ? `not checked: ${missing.join(', ')} not measured`
          : budget.holds(measured, { memoryRefreshes })
            ? 'holds'
            : 'FAILS'
      return { budget: budget.text, verdict }
    })
    budgets.push({
      budget: `row size: an access + refresh token pair ≤ ${ROW_SIZE_BUDGET_BYTES} bytes, indexes included`,
      verdict: rowSize ? (rowSize.holds ? 'holds' : 'FAILS') : `not checked: ${ROW_SIZE_ROW} not measured`,
    })
    budgets.push({
      budget: `shard spread: the busiest token shard ≤ ${SPREAD_BUDGET} × the mean (rows and statements; the 32-shard plan's choice)`,
      verdict: shardSpread ? (shardSpread.holds ? 'holds' : 'FAILS') : `not checked: ${SHARD_SPREAD_ROW} not measured`,
    })
    if (cli) {
      budgets.push({
        budget: `every local npm run manage command ≤ ${cli.budgetMs} ms (row ${CLI_ROW})`,
        verdict: cli.holds ? 'holds' : 'FAILS',
      })
    }

    const report = {
      command: COMMAND,
      date: new Date().toISOString(),
      secondsPerSlice: SECONDS,
      rounds: ROUNDS,
      placement,
      machine: machine(),
      bundleGzipBytes,
      coldStart,
      shardSpread,
      rowSize,
      cleanup,
      cli,
      rows: results,
      budgets,
    }
    writeFileSync('bench/results.json', `${JSON.stringify(report, null, 2)}\n`)
    const { cpu, cores, memoryGiB, node } = report.machine
    console.log(`\n${COMMAND} — ${cpu}, ${cores} cores, ${memoryGiB} GiB, Node ${node}`)
    console.log(
      `${ROUNDS} rounds a row, each a ${SECONDS} s slice of the row and one of the baseline, in alternating order; ${placement}\n`,
    )
    console.log(table(results))
    if (coldStart) console.log(`\n${coldStartTable(coldStart)}`)
    if (shardSpread) console.log(`\n${shardSpreadTable(shardSpread)}`)
    if (rowSize) console.log(`\n${rowSizeTable(rowSize)}`)
    if (cleanup) console.log(`\n${cleanupTable(cleanup)}`)
    if (cli) console.log(`\n${cliTable(cli)}`)
    console.log(`\nbench bundle: ${(bundleGzipBytes / 1024).toFixed(1)} KiB gzipped`)
    console.log('\nbudgets:')
    for (const { budget, verdict } of budgets)
      console.log(`  ${verdict === 'FAILS' ? '✗' : verdict === 'holds' ? '✓' : '–'} ${budget}: ${verdict}`)
    return budgets.some((b) => b.verdict === 'FAILS') ? 1 : 0
  } finally {
    await server.mf.dispose()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
