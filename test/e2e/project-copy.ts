/**
 * A throwaway copy of this project in a temporary directory, as a clone has it: wrangler.toml copied
 * (so `.dev.vars` and `.wrangler/` are the copy's own, never the developer's), the code, migrations,
 * dependencies and package.json linked in. `npm run dev` and `npm run manage` run in it as in the
 * repository. Used by the local-project e2e test and the CLI row of the benchmark.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')

export type ProjectCopy = { directory: string; remove: () => void }

/** A new copy; `devVars` (if given) becomes its `.dev.vars`. */
export function projectCopy(devVars?: string): ProjectCopy {
  const directory = mkdtempSync(join(tmpdir(), 'eot-project-'))
  for (const name of ['src', 'scripts', 'migrations', 'node_modules', 'package.json', 'assets', 'tsconfig.json']) {
    symlinkSync(join(ROOT, name), join(directory, name))
  }
  cpSync(join(ROOT, 'wrangler.toml'), join(directory, 'wrangler.toml'))
  if (devVars !== undefined) writeFileSync(join(directory, '.dev.vars'), devVars)
  return { directory, remove: () => rmSync(directory, { recursive: true, force: true }) }
}
