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
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
  },
}))
