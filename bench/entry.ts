/**
 * @module
 * The benchmark's Worker entry: the production app unchanged, its D1 and KV bindings counted
 * (test/counting.ts), its clients in Sydney (request.cf; CF_HEADER places one elsewhere), plus what exists only in this build (never in src/): the counters; a request
 * traced under the Sydney latency profile (IO_TRACE_HEADER); one password hash verification,
 * so the benchmark can report the CPU of a hash on its own; and one bare KV read, the floor
 * under row 3 (what a KV hit costs with no app code around it).
 */
import { verifyAgainstDummy } from '../src/crypto/passwords.ts'
import app from '../src/index.ts'
import {
  clientPath,
  countBindings,
  d1QueryCount,
  d1QueryCountsByDatabase,
  type IoCall,
  kvReadCount,
  kvWriteCount,
  SYDNEY_CF,
  SYDNEY_PROFILE,
  stopTracing,
  traceIo,
} from '../test/counting.ts'
import {
  CF_HEADER,
  COUNTERS_PATH,
  type Counters,
  HASH_PATH,
  IO_TRACE_HEADER,
  type IoPath,
  KV_KEY_HEADER,
  KV_READ_PATH,
} from './routes.ts'

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>

/** Runs one request with the Sydney profile's delays and reports its client's path in IO_TRACE_HEADER. */
async function traced(handle: Handler, request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  traceIo(SYDNEY_PROFILE)
  const startedAt = Date.now()
  let response: Response
  let respondedAt = startedAt
  let calls: IoCall[] = []
  try {
    response = await handle(request, env, ctx)
    respondedAt = Date.now()
  } finally {
    // Background work still running is recorded but ends after respondedAt: not on the path.
    calls = stopTracing()
  }
  const path = clientPath(calls, startedAt, respondedAt, SYDNEY_PROFILE)
  const summary: IoPath = { ...path, calls: path.calls.map((call) => `${call.kind}(${call.database}):${call.op}`) }
  const answer = new Response(response.body, response)
  answer.headers.set(IO_TRACE_HEADER, JSON.stringify(summary))
  return answer
}

/** The app, and the routes only this build has (traced like the app's when asked). */
const handle: Handler = async (request, env, ctx) => {
  const { pathname } = new URL(request.url)
  if (pathname === KV_READ_PATH) {
    const found = await env.TOKEN_CACHE.get(request.headers.get(KV_KEY_HEADER) ?? '', 'json')
    return new Response(found ? 'found' : 'missing', { status: found ? 200 : 404 })
  }
  if (pathname === HASH_PATH) {
    await verifyAgainstDummy('a password the benchmark checks')
    return new Response('hashed')
  }
  return app.fetch(request, env, ctx)
}

/**
 * The request as from a client in Sydney, or where CF_HEADER places it (Miniflare runs with no
 * request.cf): every request that may write (where a grant's shard is chosen), and every traced
 * one. `cf` is set on the request itself: a copy (`new Request(request, { cf })`) cost ~0.1 ms of
 * CPU a request, a third of the baseline's; the load of GET rows (no row's GET chooses a shard)
 * is left as it came.
 */
function placed(request: Request): Request {
  if (request.method === 'GET' && !request.headers.has(IO_TRACE_HEADER)) return request
  const cf = request.headers.get(CF_HEADER)
  Object.defineProperty(request, 'cf', { value: cf ? JSON.parse(cf) : SYDNEY_CF })
  return request
}

export default {
  async fetch(incoming, bindings, ctx) {
    const env = countBindings(bindings)
    const request = placed(incoming)
    if (new URL(request.url).pathname === COUNTERS_PATH) {
      return Response.json({
        d1: d1QueryCount(),
        d1ByDatabase: Object.fromEntries(d1QueryCountsByDatabase()),
        kvReads: kvReadCount(),
        kvWrites: kvWriteCount(),
      } satisfies Counters)
    }
    if (request.headers.has(IO_TRACE_HEADER)) return traced(handle, request, env, ctx)
    return handle(request, env, ctx)
  },
  scheduled: (controller, bindings) => app.scheduled(controller, countBindings(bindings)),
} satisfies ExportedHandler<Env>
