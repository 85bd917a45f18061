/**
 * `/docs` (Swagger UI) on the authorization server's own origin: no credential kept in browser
 * storage, no third-party script, a CSP without inline script or framing, and a readable message
 * when Swagger UI's files cannot load. The files themselves are Workers Static Assets, which
 * `SELF.fetch` does not route to (it calls the Worker); vitest.config.ts gives the tests an
 * `ASSETS` binding over the same directory. Their routing and headers in `wrangler dev` are
 * checked by the browser test (test/e2e/docs.e2e.ts).
 */
import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

const ORIGIN = 'https://example.com'
const DOCS_PATH = '/docs'
const OPENAPI_PATH = '/openapi.json'
/** The test-only binding over wrangler.toml's `[assets]` directory (vitest.config.ts). */
const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS

async function docsPage(): Promise<{ response: Response; html: string }> {
  const response = await SELF.fetch(`${ORIGIN}${DOCS_PATH}`)
  return { response, html: await response.text() }
}

function csp(response: Response): Map<string, string[]> {
  const header = response.headers.get('Content-Security-Policy') ?? ''
  const directives = new Map<string, string[]>()
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/)
    if (name) directives.set(name.toLowerCase(), values)
  }
  return directives
}

/** The `src` of every <script> and the `href` of every stylesheet the page loads. */
function loadedUrls(html: string): { scripts: string[]; styles: string[]; inlineScripts: number } {
  const scripts = [...html.matchAll(/<script\b([^>]*)>/gi)].map(
    ([, attributes]) => /\bsrc="([^"]*)"/.exec(attributes)?.[1],
  )
  const styles = [...html.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*>/gi)].map(
    ([tag]) => /\bhref="([^"]*)"/.exec(tag)?.[1] ?? '',
  )
  return {
    scripts: scripts.filter((src): src is string => src !== undefined),
    styles,
    inlineScripts: scripts.filter((src) => src === undefined).length,
  }
}

async function servedScripts(html: string): Promise<{ path: string; response: Response; text: string }[]> {
  const { scripts } = loadedUrls(html)
  return Promise.all(
    scripts.map(async (path) => {
      // The Worker serves its own scripts; Swagger UI's come from the asset directory.
      let response = await SELF.fetch(new URL(path, ORIGIN))
      if (response.status === 404) response = await assets.fetch(new URL(path, ORIGIN))
      return { path, response, text: await response.text() }
    }),
  )
}

describe('/docs: Swagger UI without third parties or persisted credentials', () => {
  it("sends a CSP: script-src 'self' only, no inline script, frame-ancestors 'none', no third-party origin", async () => {
    const { response } = await docsPage()
    expect(response.status).toBe(200)
    const policy = csp(response)
    expect(policy.get('default-src')).toEqual(["'none'"])
    expect(policy.get('script-src')).toEqual(["'self'"])
    expect(policy.get('connect-src')).toEqual(["'self'"])
    expect(policy.get('img-src')).toEqual(["'self'", 'data:'])
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    for (const [name, values] of policy) {
      for (const value of values) {
        // Keywords ('self', 'none', …) and data: images only: no host, scheme or wildcard source.
        expect(value, `${name} ${value}`).toMatch(/^('[a-z-]+'|data:)$/)
        expect(value, `${name} ${value}`).not.toBe("'unsafe-eval'")
      }
    }
  })

  it('forbids framing and sniffing and sends no Referer; the page is revalidated, not cached blindly', async () => {
    const { response } = await docsPage()
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html; charset=utf-8/i)
    expect(response.headers.get('X-Frame-Options')).toBe('DENY')
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(response.headers.get('Cache-Control')).toBe('no-cache')
  })

  it('loads only same-origin scripts and stylesheets, none inline, nothing from cdn.jsdelivr.net', async () => {
    const { html } = await docsPage()
    const { scripts, styles, inlineScripts } = loadedUrls(html)
    expect(inlineScripts).toBe(0)
    expect(scripts.length).toBeGreaterThanOrEqual(2)
    expect(styles.length).toBeGreaterThanOrEqual(1)
    for (const url of [...scripts, ...styles]) expect(url, url).toMatch(/^\/docs\/[\w./-]+$/)
    expect(html).not.toMatch(/cdn\.jsdelivr\.net|https?:\/\//)
    expect(html).not.toMatch(/\son[a-z]+=/i)
    for (const { path, text } of await servedScripts(html)) {
      if (!path.startsWith('/docs/swagger-ui/')) expect(text, path).not.toMatch(/cdn\.jsdelivr\.net|https?:\/\//)
    }
  })

  it('does not persist authorizations: persistAuthorization is false, and the leftovers of the old page are removed', async () => {
    const { html } = await docsPage()
    const scripts = await servedScripts(html)
    const init = scripts.filter(({ path }) => !path.startsWith('/docs/swagger-ui/'))
    expect(init.length).toBe(1)
    const [{ text }] = init
    expect(html + text).not.toMatch(/persistAuthorization\s*:\s*true/)
    expect(text).toMatch(/persistAuthorization\s*:\s*false/)
    expect(text).toContain(`'${OPENAPI_PATH}'`)
    // The key under which persistAuthorization: true kept the Authorize dialog's credentials.
    expect(text).toMatch(/localStorage\.removeItem\('authorized'\)/)
  })

  it('the init script and the Swagger UI files answer 200 with their content types and nosniff', async () => {
    const { html } = await docsPage()
    const { styles } = loadedUrls(html)
    for (const { path, response } of await servedScripts(html)) {
      expect(response.status, path).toBe(200)
      expect(response.headers.get('Content-Type'), path).toMatch(/^text\/javascript; charset=utf-8/i)
      expect(response.headers.get('X-Content-Type-Options'), path).toBe('nosniff')
    }
    for (const path of styles) {
      const response = await assets.fetch(new URL(path, ORIGIN))
      expect(response.status, path).toBe(200)
      expect(response.headers.get('Content-Type'), path).toMatch(/^text\/css; charset=utf-8/i)
      expect(response.headers.get('X-Content-Type-Options'), path).toBe('nosniff')
      expect((await response.text()).length, path).toBeGreaterThan(100_000)
    }
    const bundle = (await servedScripts(html)).find(({ path }) => path.endsWith('/swagger-ui-bundle.js'))
    expect(bundle?.text).toContain('SwaggerUIBundle')
  })

  it('shows a readable message until Swagger UI starts, and one without JavaScript, both pointing to /openapi.json', async () => {
    const { html } = await docsPage()
    const status = /<div id="docs-status"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? ''
    expect(status).toContain('Loading the API documentation')
    expect(status).toContain('could not be loaded')
    expect(status).toContain(`href="${OPENAPI_PATH}"`)
    const noscript = /<noscript>([\s\S]*?)<\/noscript>/.exec(html)?.[1] ?? ''
    expect(noscript).toContain(`href="${OPENAPI_PATH}"`)
  })
})
