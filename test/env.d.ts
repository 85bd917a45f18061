import type { D1Migration } from 'cloudflare:test'
import type { RateLimitSettings } from './rate-limits.ts'

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[]
      /** test/schema.ts: the statements test/setup.ts gives each file's empty database. */
      TEST_SCHEMA: string[]
      /** A token shard's migrations (migrations/shards/), and its schema as TEST_SCHEMA is the main one's. */
      TEST_SHARD_MIGRATIONS: D1Migration[]
      TEST_SHARD_SCHEMA: string[]
      /** 'minimum': test/setup.ts makes new password hashes at the cheapest valid cost. */
      TEST_PASSWORD_HASH_COST: 'minimum' | 'production'
      /** wrangler.toml's [[ratelimits]], for test/rate-limits.ts. */
      TEST_RATE_LIMITS: RateLimitSettings[]
      TEST_RSA_PKCS1_PEM: string
      TEST_RSA_PKCS8_PEM: string
    }
  }
}
