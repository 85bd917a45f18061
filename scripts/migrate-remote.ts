/**
 * `npm run deploy`'s first step: `wrangler d1 migrations apply <binding> --remote` for the main
 * database (DB, migrations/) and for every token shard wrangler.toml binds (TOKEN_SHARD_…,
 * migrations/shards/, src/tokens/shards.ts), each from its own `migrations_dir`. Arguments (e.g.
 * `--env staging`) are passed on to each.
 */
import { spawnSync } from 'node:child_process'
import { unstable_readConfig } from 'wrangler'

const args = process.argv.slice(2)
const envIndex = args.indexOf('--env')
const config = unstable_readConfig({ config: 'wrangler.toml', env: envIndex >= 0 ? args[envIndex + 1] : undefined })
const bindings = (config.d1_databases as { binding: string }[])
  .map((database) => database.binding)
  .filter((binding) => binding === 'DB' || binding.startsWith('TOKEN_SHARD_'))
for (const binding of bindings) {
  const run = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', binding, '--remote', ...args], {
    stdio: 'inherit',
  })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
