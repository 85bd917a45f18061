/**
 * @module
 * The browser's one home: every page and page handler, by feature, each on the one kit
 * (./kit/: the HTML dialect, the session guard with its origin check and login path, paging,
 * forms, confirmation pages, secrets shown once). src/index.ts mounts these routers; the
 * protocol they show (src/oauth/) renders no HTML.
 */
export { accountsRouter, rpLogoutRouter } from './account/index.ts'
export { applicationPagesRouter } from './applications/index.ts'
export { authorizeRouter } from './authorize/index.ts'
export { authorizedTokenPagesRouter } from './authorized-tokens/index.ts'
export { adminRouter } from './console/index.ts'
export { deviceRouter } from './device/index.ts'
export { siteRouter } from './site/index.tsx'
