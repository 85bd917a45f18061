/**
 * @module
 * The cold-start row: what a fresh isolate costs before and during its first requests, so growth
 * in the bundle shows up as a number. Each round starts a new Miniflare (a new workerd process,
 * so a new isolate) on the benchmark's bundle and measures, from /proc like the other rows:
 * start-up (process start, script compile and top-level evaluation) until Miniflare is ready;
 * the first GET /healthz; then the first GET /api/hello without credentials (the DRF router and
 * authentication path, answered 401 before any D1 or KV I/O).
 */
import { type Server, serve, serverCpuMs } from './harness.ts'

export const COLD_START_ROW = 'cold-start'
/** Fresh isolates per run: CPU comes in 10 ms clock ticks, so a mean over rounds gives it resolution. */
export const COLD_START_ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 10)

type Phase = { wallMs: number; cpuMs: number }

export type ColdStart = {
  name: string
  rounds: number
  /** Means over the rounds, in milliseconds. */
  startup: Phase
  firstHealthz: Phase
  firstApiHello: Phase
  /** Status of the first /api/hello (401: no credentials, as intended). */
  apiHelloStatus: number
}

async function timed(run: () => Promise<unknown>): Promise<Phase> {
  const [wall, cpu] = [performance.now(), serverCpuMs()]
  await run()
  return { wallMs: performance.now() - wall, cpuMs: serverCpuMs() - cpu }
}

async function get(server: Server, path: string): Promise<number> {
  const response = await fetch(new URL(path, server.url))
  await response.arrayBuffer()
  return response.status
}

function mean(phases: Phase[]): Phase {
  const sum = (pick: (p: Phase) => number) => phases.reduce((total, p) => total + pick(p), 0) / phases.length
  return { wallMs: sum((p) => p.wallMs), cpuMs: sum((p) => p.cpuMs) }
}

/**
 * Runs the rounds one after another; no other Miniflare may run meanwhile, since the CPU is
 * read over every process this one started.
 */
export async function measureColdStart(script: string, bindings: Record<string, string>): Promise<ColdStart> {
  const startup: Phase[] = []
  const healthz: Phase[] = []
  const hello: Phase[] = []
  let apiHelloStatus = 0
  for (let round = 0; round < COLD_START_ROUNDS; round++) {
    let server: Server | undefined
    startup.push(
      await timed(async () => {
        server = await serve(script, bindings)
      }),
    )
    const started = server as Server
    try {
      healthz.push(
        await timed(async () => {
          const status = await get(started, '/healthz')
          if (status !== 200) throw new Error(`cold start: /healthz answered ${status}`)
        }),
      )
      hello.push(
        await timed(async () => {
          apiHelloStatus = await get(started, '/api/hello')
          if (apiHelloStatus !== 401) throw new Error(`cold start: /api/hello answered ${apiHelloStatus}`)
        }),
      )
    } finally {
      await started.mf.dispose()
    }
  }
  return {
    name: '0. cold start: a fresh isolate, its first GET /healthz, then its first GET /api/hello (401)',
    rounds: COLD_START_ROUNDS,
    startup: mean(startup),
    firstHealthz: mean(healthz),
    firstApiHello: mean(hello),
    apiHelloStatus,
  }
}

export function coldStartTable(cold: ColdStart): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`
  const phase = (name: string, p: Phase) => row([name, p.wallMs.toFixed(1), p.cpuMs.toFixed(1)])
  return [
    `${cold.name}; means over ${cold.rounds} fresh isolates`,
    row(['phase', 'wall ms', 'CPU ms']),
    row(['---', '---', '---']),
    phase('start-up until ready', cold.startup),
    phase('first GET /healthz', cold.firstHealthz),
    phase('first GET /api/hello', cold.firstApiHello),
  ].join('\n')
}
