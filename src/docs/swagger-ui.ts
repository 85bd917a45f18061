/**
 * @module
 * `GET /docs`: Swagger UI over /openapi.json, with nothing from a third party and nothing kept in
 * the browser's storage. The page runs on the authorization server's own origin and its Authorize
 * dialog takes a username, a password and a client secret, so:
 * - Swagger UI's files are Workers Static Assets under /docs/swagger-ui/ (wrangler.toml `[assets]`,
 *   copied from the pinned swagger-ui-dist package by scripts/docs-assets.ts): no CDN can change
 *   the script that sees those credentials, and the 1.7 MB bundle stays out of the Worker script;
 * - the page has no inline script (its start-up code is /docs/swagger-init.js, served here), so its
 *   CSP allows script only from 'self';
 * - `persistAuthorization` is off: credentials and tokens live in the page's memory until it closes;
 * - the Authorize dialog opens at its top, on the password flow (see the init script).
 */
import type { Hono } from 'hono'
import { htmlSecurityHeaders } from '../lib/html-security.ts'
import type { AppEnv } from '../types.ts'

const DOCS_PATH = '/docs'
const DOCS_INIT_PATH = '/docs/swagger-init.js'
/** Where scripts/docs-assets.ts puts Swagger UI's files in the asset directory. */
const SWAGGER_UI_ASSETS = '/docs/swagger-ui'

const docsHeaders = htmlSecurityHeaders({
  scriptSrc: ["'self'"],
  // Swagger UI sets style attributes from script (CSSOM, which CSP does not restrict) and needs
  // no inline <style>; its stylesheet is the only one.
  styleSrc: ["'self'"],
  // The stylesheet's icons are data: URLs.
  imgSrc: ["'self'", 'data:'],
  // /openapi.json, /o/token/ and "Try it out": all on this origin.
  connectSrc: ["'self'"],
  // Swagger UI's forms are submitted by script (fetch), never by navigation.
  formAction: ["'none'"],
})

/**
 * Static HTML, no user input. The visible message stays when Swagger UI's files do not load (the
 * init script removes it once Swagger UI runs); <noscript> covers a browser without JavaScript.
 */
function page(openapiPath: string): string {
  const link = `<a href="${openapiPath}">${openapiPath}</a>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Edge OAuth Toolkit API</title>
<link rel="stylesheet" href="${SWAGGER_UI_ASSETS}/swagger-ui.css">
</head>
<body>
<noscript><p>The interactive API documentation needs JavaScript. ${link} is the OpenAPI document itself.</p></noscript>
<div id="docs-status" class="swagger-ui" role="status"><p>Loading the API documentation… If this message stays, the Swagger UI files could not be loaded; ${link} is the document itself.</p></div>
<div id="swagger-ui"></div>
<script src="${SWAGGER_UI_ASSETS}/swagger-ui-bundle.js"></script>
<script src="${DOCS_INIT_PATH}"></script>
</body>
</html>
`
}

/**
 * Runs after swagger-ui-bundle.js. If that did not load, the page's message stays. The Authorize
 * dialog's values are never written to storage; what the earlier page (persistAuthorization: true)
 * left in localStorage under "authorized" is removed.
 */
function initScript(openapiPath: string): string {
  return `'use strict'
;(() => {
  try {
    localStorage.removeItem('authorized')
  } catch {
    // storage disabled: nothing was kept either
  }
  if (typeof SwaggerUIBundle !== 'function') return
  window.ui = SwaggerUIBundle({
    url: '${openapiPath}',
    dom_id: '#swagger-ui',
    persistAuthorization: false,
    // No ?url= / ?configUrl= from the address bar, no badge from validator.swagger.io.
    queryConfigEnabled: false,
    validatorUrl: null,
  })
  document.getElementById('docs-status')?.remove()
  // Every scheme's first input asks for focus as the Authorize dialog opens, so the last one
  // (client Basic, the fifth) wins and the dialog opens scrolled down to it: once it is open,
  // go back to its top and to the first scheme (the password flow).
  new MutationObserver(() => {
    const content = document.querySelector('.dialog-ux .modal-ux-content')
    if (!content || content.dataset.opened) return
    content.dataset.opened = 'yes'
    content.querySelector('input')?.focus({ preventScroll: true })
    content.scrollTop = 0
  }).observe(document.getElementById('swagger-ui'), { childList: true, subtree: true })
})()
`
}

export function mountSwaggerUi(app: Hono<AppEnv>, openapiPath: string): void {
  const html = page(openapiPath)
  const script = initScript(openapiPath)
  app.use(DOCS_PATH, docsHeaders)
  app.use(DOCS_INIT_PATH, docsHeaders)
  // no-cache: revalidated on each visit, so a new deployment's page and script arrive together.
  app.get(DOCS_PATH, (c) => c.html(html, 200, { 'Cache-Control': 'no-cache' }))
  app.get(DOCS_INIT_PATH, (c) =>
    c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }),
  )
}
