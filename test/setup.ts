import { applyD1Migrations, env } from 'cloudflare:test'
import { countBindings } from './counting.ts'

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)

// The pool's env is the one SELF.fetch hands the Worker and the tests import, so counting its
// bindings here counts every request and every helper query (test/counting.ts).
const counted = countBindings(env)
env.DB = counted.DB
env.TOKEN_CACHE = counted.TOKEN_CACHE
