import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // Applied by test/setup.ts, exactly as `wrangler d1 migrations apply` would.
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          SECRET_KEY: 'test-secret-key-not-for-production',
          // Most tests change D1 behind the cache and expect the next request to see it;
          // the memory tier is tested on its own (test/token-cache.test.ts).
          TOKEN_MEMORY_CACHE_SECONDS: '0',
          TOKEN_NEGATIVE_CACHE_SECONDS: '0',
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
  },
}))
