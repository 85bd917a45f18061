/**
 * @module
 * `npm run manage -- <command> [options]` starts here. The commands (./main.ts and what it imports:
 * drizzle, zod, the domain code) run as one JavaScript bundle that esbuild makes into
 * node_modules/.cache/ and makes again whenever a file it was made from changed. Loaded as
 * TypeScript, module by module, they cost a second of start-up before any work: type stripping,
 * and resolving each of drizzle's hundreds of files through its package.json's exports map. Node's
 * compile cache then keeps the bundle compiled between runs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const ROOT = resolve(import.meta.dirname, '../..')
const CACHE = join(ROOT, 'node_modules', '.cache', 'edge-oauth-toolkit')
const BUNDLE = join(CACHE, 'manage.mjs')
/** When the bundle was made (build start) and every file it was made from, relative to ROOT. */
const MANIFEST = join(CACHE, 'manage.inputs.json')

type Manifest = { startedAt: number; inputs: string[] }

/** Whether no input changed since the bundle was made (a few hundred stat calls, a few ms). */
function isFresh(): boolean {
  try {
    const { startedAt, inputs } = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest
    statSync(BUNDLE)
    return inputs.every((input) => statSync(join(ROOT, input)).mtimeMs < startedAt)
  } catch {
    return false
  }
}

async function build(): Promise<void> {
  const startedAt = Date.now()
  const esbuild = await import('esbuild')
  const temporary = `${BUNDLE}.${process.pid}.tmp`
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['src/cli/main.ts'],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Only --remote loads wrangler (a second to import): it stays a package of its own.
    external: ['wrangler'],
    // CommonJS dependencies may require() Node's modules, which an ES module lacks.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'error',
  })
  // npm writes packages with their tarball's old mtimes, but rewrites its own lockfile on every
  // install: an upgraded dependency makes the bundle anew through it.
  const inputs = [...Object.keys(result.metafile.inputs), 'package.json', 'node_modules/.package-lock.json'].filter(
    (input) => existsSync(join(ROOT, input)),
  )
  renameSync(temporary, BUNDLE)
  writeFileSync(MANIFEST, JSON.stringify({ startedAt, inputs } satisfies Manifest))
}

mkdirSync(CACHE, { recursive: true })
enableCompileCache()
if (!isFresh()) await build()
await import(pathToFileURL(BUNDLE).href)
