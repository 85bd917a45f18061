import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { parse, stringify } from 'smol-toml'
import { defineConfig } from 'vitest/config'
import { unstable_readConfig } from 'wrangler'
import { copyDocsAssets } from './scripts/docs-assets.ts'
import { generateSigningKeySet } from './src/crypto/signing-keys.ts'
import type { RateLimitSettings } from './test/rate-limits.ts'
import { schemaStatements } from './test/schema.ts'

// Test signing keys, fresh each run: an older RSA key, an EC key, then the newest RSA key
// (the one that signs RS256), so JWKS and rotation tests see several keys.
async function testSigningKeys(): Promise<string> {
  const sets = await Promise.all([generateSigningKeySet(['RS256', 'ES256']), generateSigningKeySet(['RS256'])])
  return JSON.stringify({ keys: sets.flatMap((set) => JSON.parse(set).keys) })
}

// One RSA key in both PEM encodings, made by OpenSSL (Node), to check that PKCS#1 is read right.
function testRsaPems(): { TEST_RSA_PKCS1_PEM: string; TEST_RSA_PKCS8_PEM: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    TEST_RSA_PKCS1_PEM: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    TEST_RSA_PKCS8_PEM: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

const wrangler = unstable_readConfig({ config: 'wrangler.toml' })

// wrangler.toml's `[alias]` (exact module names, as wrangler's esbuild plugin matches them), so the
// tests run the same modules as the deployed bundle (README "Bundle"); Vite does not read it itself.
function wranglerAliases(): { find: RegExp; replacement: string }[] {
  const alias: Record<string, string> = wrangler.alias ?? {}
  return Object.entries(alias).map(([name, path]) => ({
    find: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
    replacement: resolve(import.meta.dirname, path),
  }))
}

// The Worker's secrets in the tests: fixed SECRET_KEY, fresh signing keys.
async function testSecrets(): Promise<{ SECRET_KEY: string; OIDC_SIGNING_KEYS: string }> {
  return { SECRET_KEY: 'test-secret-key-not-for-production', OIDC_SIGNING_KEYS: await testSigningKeys() }
}

// The tests' copy of wrangler.toml (its paths made absolute), in a directory without `.dev.vars`:
// beside wrangler.toml, wrangler would hand the tests the developer's local settings, so that
// changing one (PAGE_SIZE=2 in .dev.vars) would change what the tests see.
function testWranglerConfig(): string {
  const config = parse(readFileSync(resolve(import.meta.dirname, 'wrangler.toml'), 'utf8')) as {
    main: string
    assets?: { directory?: string }
    alias?: Record<string, string>
    d1_databases?: { migrations_dir?: string }[]
  }
  const absolute = (path: string) => resolve(import.meta.dirname, path)
  config.main = absolute(config.main)
  if (config.assets?.directory) config.assets.directory = absolute(config.assets.directory)
  for (const [name, path] of Object.entries(config.alias ?? {})) if (config.alias) config.alias[name] = absolute(path)
  for (const database of config.d1_databases ?? [])
    database.migrations_dir = absolute(database.migrations_dir ?? 'migrations')
  const directory = absolute('node_modules/.cache/vitest-wrangler')
  mkdirSync(directory, { recursive: true })
  writeFileSync(join(directory, 'wrangler.toml'), stringify(config))
  return join(directory, 'wrangler.toml')
}

// wrangler.toml's `[[ratelimits]]`, for the limiters test/setup.ts puts in their place (test/rate-limits.ts).
function wranglerRateLimits(): RateLimitSettings[] {
  const bindings: { name: string; simple: { limit: number; period: number } }[] = wrangler.ratelimits ?? []
  return bindings.map(({ name, simple }) => ({ name, limit: simple.limit, period: simple.period }))
}

// Unit suites beside src/ that need no Worker binding run in plain Node: no workerd, no Worker
// transform. These src/ suites need the Workers runtime: bindings (signing keys' PEMs, D1), or
// the argon2 WASM imported as a module as the Worker imports it.
const WORKERD_UNIT_SUITES = [
  'src/crypto/passwords.test.ts',
  'src/crypto/signing-keys.test.ts',
  'src/cli/busy-retry.test.ts',
]

// These files check what happens once per isolate (a warning logged once): each gets a runtime of
// its own, as every file did before the workerd project shared one.
const FRESH_ISOLATE_SUITES = ['test/hardening/issuer.test.ts']

export default defineConfig(async () => {
  const secrets = await testSecrets()
  const migrations = await readD1Migrations('./migrations')
  const shardMigrations = await readD1Migrations('./migrations/shards')
  const workerd = cloudflareTest({
    wrangler: { configPath: testWranglerConfig() },
    miniflare: {
      // wrangler.toml's [assets] (Swagger UI for /docs), filled first. SELF.fetch calls the
      // Worker without the asset router, so the tests read the files through this binding.
      assets: { directory: copyDocsAssets(), binding: 'ASSETS' },
      bindings: {
        // test/setup.ts gives each file's empty database the schema in one batch; the
        // migrations themselves, for the tests of a migration and of that schema.
        TEST_MIGRATIONS: migrations,
        TEST_SCHEMA: schemaStatements(migrations),
        // The same for every token shard (wrangler.toml's TOKEN_SHARD_ bindings).
        TEST_SHARD_MIGRATIONS: shardMigrations,
        TEST_SHARD_SCHEMA: schemaStatements(shardMigrations),
        // New password hashes at the cheapest valid cost (src/crypto/passwords.ts), as
        // Django's testing docs advise; the suites about hashing restore production's.
        TEST_PASSWORD_HASH_COST: 'minimum',
        TEST_RATE_LIMITS: wranglerRateLimits(),
        ...secrets,
        // As in production: the tests' origin is not a loopback host, so the issuer must be set.
        ISSUER: 'https://example.com',
        ...testRsaPems(),
        // Most tests change D1 behind the cache and expect the next request to see it;
        // the memory tier is tested on its own (test/oauth/token-cache.test.ts).
        TOKEN_MEMORY_CACHE_SECONDS: '0',
        TOKEN_NEGATIVE_CACHE_SECONDS: '0',
      },
    },
  })
  return {
    resolve: { alias: wranglerAliases() },
    test: {
      // Vitest's default, one worker fewer than cores, is a single worker on a 2-core machine: one
      // workerd runtime on one core while the other idles. Two at least.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      projects: [
        {
          extends: true,
          test: { name: 'node', environment: 'node', include: ['src/**/*.test.ts'], exclude: WORKERD_UNIT_SUITES },
        },
        {
          extends: true,
          plugins: [workerd],
          test: {
            name: 'workerd',
            include: ['test/**/*.test.ts', ...WORKERD_UNIT_SUITES],
            exclude: FRESH_ISOLATE_SUITES,
            setupFiles: ['./test/setup.ts'],
            // One runtime and one module graph for all files, the Worker transformed and loaded
            // once: test/setup.ts gives every file empty storage and the schema instead.
            isolate: false,
          },
        },
        {
          extends: true,
          plugins: [workerd],
          test: { name: 'workerd-fresh-isolate', include: FRESH_ISOLATE_SUITES, setupFiles: ['./test/setup.ts'] },
        },
      ],
    },
  }
})
