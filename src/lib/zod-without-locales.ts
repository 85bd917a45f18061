/**
 * @module
 * What the Worker bundle gets for `import … from 'zod'` (wrangler.toml `[alias]`, mirrored in
 * vitest.config.ts): zod's classic API unchanged (same module instances, so `ZodType`, `ZodError`
 * and @hono/zod-openapi's `.openapi()` are shared), minus the translated error maps. zod exports
 * them as `z.locales` and `z.core.locales`, and because `z` is used as one object (by
 * @hono/zod-openapi, which extends it), esbuild would keep all ~40 of them (~260 KiB minified).
 * Only English remains, which zod installs as the default error map itself (classic/schemas.js).
 * Imports `zod/v4`, not `zod`, so the alias does not catch this module's own imports.
 */
import en from 'zod/v4/locales/en.js'

export * from 'zod/v4'
// Named exports win over the same names from `export *`: these replace zod's `core`, `locales`
// and `z` (the whole API as one object, here this module itself, as `import { z } from 'zod'`).
export * as core from './zod-core-without-locales.ts'
export const locales = { en }
export * as z from './zod-without-locales.ts'
export * as default from './zod-without-locales.ts'
