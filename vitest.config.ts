import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { generateSigningKeySet } from './src/crypto/signing-keys.ts'

// Test signing keys, fresh each run: an older RSA key, an EC key, then the newest RSA key
// (the one that signs RS256), so JWKS and rotation tests see several keys.
async function testSigningKeys(): Promise<string> {
  const sets = await Promise.all([generateSigningKeySet(['RS256', 'ES256']), generateSigningKeySet(['RS256'])])
  return JSON.stringify({ keys: sets.flatMap((set) => JSON.parse(set).keys) })
}

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // Applied by test/setup.ts, exactly as `wrangler d1 migrations apply` would.
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          SECRET_KEY: 'test-secret-key-not-for-production',
          OIDC_SIGNING_KEYS: await testSigningKeys(),
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
  },
}))
