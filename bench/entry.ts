/**
 * @module
 * The benchmark's Worker entry: the production app unchanged, its D1 and KV bindings counted
 * (test/counting.ts), plus routes that exist only in this build (never in src/): the counters; one password hash verification,
 * so the benchmark can report the CPU of a hash on its own; and one bare KV read, the floor
 * under row 3 (what a KV hit costs with no app code around it).
 */
import { verifyAgainstDummy } from '../src/crypto/passwords.ts'
import app from '../src/index.ts'
import { countBindings, d1QueryCount, kvReadCount, kvWriteCount } from '../test/counting.ts'
import { COUNTERS_PATH, type Counters, HASH_PATH, KV_KEY_HEADER, KV_READ_PATH } from './routes.ts'

export default {
  async fetch(request, bindings, ctx) {
    const env = countBindings(bindings)
    const { pathname } = new URL(request.url)
    if (pathname === COUNTERS_PATH) {
      return Response.json({ d1: d1QueryCount(), kvReads: kvReadCount(), kvWrites: kvWriteCount() } satisfies Counters)
    }
    if (pathname === KV_READ_PATH) {
      const found = await env.TOKEN_CACHE.get(request.headers.get(KV_KEY_HEADER) ?? '', 'json')
      return new Response(found ? 'found' : 'missing', { status: found ? 200 : 404 })
    }
    if (pathname === HASH_PATH) {
      await verifyAgainstDummy('a password the benchmark checks')
      return new Response('hashed')
    }
    return app.fetch(request, env, ctx)
  },
  scheduled: (controller, bindings) => app.scheduled(controller, countBindings(bindings)),
} satisfies ExportedHandler<Env>
