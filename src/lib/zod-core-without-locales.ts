/**
 * @module
 * `z.core` for the Worker bundle (see ./zod-without-locales.ts): zod's core, with `locales`
 * reduced to English, the one error map zod installs by default.
 */
import en from 'zod/v4/locales/en.js'

export * from 'zod/v4/core'
// Shadows `locales` from `export *`.
export const locales = { en }
