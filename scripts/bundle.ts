/**
 * @module
 * Builds the deployable bundle exactly as `wrangler deploy` would (`--dry-run --outdir`),
 * and measures it. Used by `npm run bundle` and by the benchmark.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { copyDocsAssets } from './docs-assets.ts'

/** The Worker's script size budget after gzip: room for the console and standards work (docs/architecture.md "Bundle"). */
export const GZIP_BUDGET_BYTES = 250 * 1024

/**
 * Runs `wrangler deploy [entry] --dry-run --outdir <outdir>` (entry defaults to wrangler.toml's
 * `main`); returns the bundled script's path, which wrangler names after the entry.
 */
export function buildBundle(outdir: string, entry?: string): string {
  // wrangler deploy refuses a missing [assets] directory, even in a dry run.
  copyDocsAssets()
  const result = spawnSync('npx', ['wrangler', 'deploy', ...(entry ? [entry] : []), '--dry-run', '--outdir', outdir], {
    encoding: 'utf8',
    env: { WRANGLER_SEND_METRICS: 'false', ...process.env },
  })
  if (result.status !== 0) {
    throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}\n${result.stderr}`)
  }
  return join(outdir, `${entry ? basename(entry, extname(entry)) : 'index'}.js`)
}

export function gzipBytes(path: string): number {
  return gzipSync(readFileSync(path)).length
}
