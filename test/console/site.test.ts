import { SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications, users } from '../../src/db/schema.ts'
import { STYLESHEET_PATH } from '../../src/web/kit/stylesheet.ts'
import {
  db,
  fetchWithSettings,
  getPage,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  pkcePair,
} from '../helpers.ts'

/** One look for every page: the stylesheet, the header, the landing page, the consent and error pages. */

function stylesheetLinks(html: string): string[] {
  return [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((match) => match[1])
}

function nav(html: string): string {
  return html.slice(html.indexOf('<nav'), html.indexOf('</nav>'))
}

async function staffCookie() {
  const user = await makeUser()
  await db.update(users).set({ isStaff: true }).where(eq(users.id, user.id))
  return { user, cookie: await login(user) }
}

describe('the stylesheet', () => {
  it('is served at a content-hashed path with a year-long cache, and every page links it (no inline style)', async () => {
    const css = await SELF.fetch(`${ORIGIN}${STYLESHEET_PATH}`)
    expect(css.status).toBe(200)
    expect(css.headers.get('Content-Type')).toBe('text/css; charset=utf-8')
    expect(css.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
    expect(await css.text()).toContain('.button.primary')
    expect(STYLESHEET_PATH).toMatch(/^\/static\/site-[0-9a-f]{8}\.css$/)
    for (const path of ['/', '/accounts/login/', '/accounts/logout/', '/static/site-00000000.css']) {
      const page = await getPage(path)
      const html = await page.text()
      expect(page.headers.get('Content-Type'), path).toMatch(/^text\/html/)
      expect(stylesheetLinks(html), path).toEqual([STYLESHEET_PATH])
      expect(html, path).not.toContain('<style')
      expect(html, path).not.toContain('style=')
      expect(page.headers.get('Content-Security-Policy'), path).toContain("style-src 'self'")
      expect(page.headers.get('Content-Security-Policy'), path).not.toContain('unsafe-inline')
    }
  })

  it('another version of the file is a 404 page, not a stale stylesheet', async () => {
    const old = await getPage('/static/site-00000000.css')
    expect(old.status).toBe(404)
    expect(old.headers.get('Content-Type')).toMatch(/^text\/html/)
  })
})

describe('the header', () => {
  it('names the site (SITE_NAME, default "Edge OAuth Toolkit") and links Home, My applications, Authorized apps, Docs, Log in', async () => {
    const html = await (await getPage('/accounts/login/')).text()
    expect(html).toContain('<title>Log in · Edge OAuth Toolkit</title>')
    for (const href of ['/', '/o/applications/', '/o/authorized-tokens/', '/docs', '/accounts/login/']) {
      expect(html).toContain(`href="${href}"`)
    }
    expect(html).not.toContain('href="/admin/"')
    const renamed = await fetchWithSettings(new Request(`${ORIGIN}/accounts/login/`), { SITE_NAME: 'Acme Login' })
    const renamedHtml = await renamed.text()
    expect(renamedHtml).toContain('<title>Log in · Acme Login</title>')
    expect(renamedHtml).toContain('class="site-name" href="/">Acme Login</a>')
  })

  it('a logged-in user sees their name and a Log out form (a POST); staff also get the console link', async () => {
    const user = await makeUser()
    const html = await (await getPage('/', await login(user))).text()
    expect(html).toContain(user.username)
    expect(html).toMatch(/<form method="post" action="\/accounts\/logout\/">/)
    expect(nav(html)).not.toContain('href="/admin/"')
    const staff = await staffCookie()
    const staffHtml = await (await getPage('/', staff.cookie)).text()
    expect(nav(staffHtml)).toContain('href="/admin/"')
  })
})

describe('the landing page', () => {
  it('GET / links to the console, the docs and the login', async () => {
    const response = await getPage('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('X-Frame-Options')).toBe('DENY')
    const html = await response.text()
    const main = html.slice(html.indexOf('<main'))
    for (const href of ['/admin/', '/docs', '/accounts/login/', '/o/applications/', '/o/authorized-tokens/']) {
      expect(main).toContain(`href="${href}"`)
    }
  })

  it('names the product once in its <title> (no "Edge OAuth Toolkit · Edge OAuth Toolkit")', async () => {
    const html = await (await getPage('/')).text()
    expect(html).toContain('<title>Edge OAuth Toolkit</title>')
    const renamed = await (await fetchWithSettings(new Request(`${ORIGIN}/`), { SITE_NAME: 'Acme Login' })).text()
    expect(renamed).toContain('<title>Acme Login</title>')
  })

  it('POST / is an HTML 405', async () => {
    const response = await SELF.fetch(`${ORIGIN}/`, { method: 'POST', headers: { Origin: ORIGIN } })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('GET, HEAD')
  })
})

describe('the consent page', () => {
  it('shows the redirect URI’s host prominently; Approve and Deny do not look alike', async () => {
    const user = await makeUser()
    const app = await makeApplication({
      name: 'Photo Printer',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://printer.example.net/cb'],
    })
    const pkce = await pkcePair()
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: 'https://printer.example.net/cb',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    })
    const html = await (await getPage(`/o/authorize/?${query}`, await login(user))).text()
    expect(html).toMatch(/<span class="host"[^>]*>printer\.example\.net<\/span>/)
    expect(html).toMatch(/<button type="submit" name="allow" value="Approve" class="button primary">/)
    expect(html).toMatch(/<button type="submit" name="allow" value="Deny" class="button secondary">/)
  })
})

describe('dates on pages', () => {
  const HTML = { Accept: 'text/html' }
  const TIME = /<time datetime="(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)">(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)<\/time>/g

  /** Every date the page shows: its machine-readable value and its text. */
  function times(html: string) {
    return [...html.matchAll(TIME)].map(([, machine, text]) => ({ machine, text }))
  }

  it('one format everywhere — the user pages and the console: "2026-12-07 19:18 UTC" in a <time>', async () => {
    const { user, app } = await passwordToken()
    await db.update(applications).set({ userId: user.id }).where(eq(applications.id, app.id))
    const userCookie = await login(user)
    const staff = await staffCookie()
    const pages = [
      await SELF.fetch(`${ORIGIN}/o/authorized-tokens/`, { headers: { ...HTML, Cookie: userCookie } }),
      await SELF.fetch(`${ORIGIN}/o/applications/${app.id}/`, { headers: { ...HTML, Cookie: userCookie } }),
      await getPage(`/admin/users/${user.id}/`, staff.cookie),
      await getPage(`/admin/applications/${app.id}/`, staff.cookie),
    ]
    for (const page of pages) {
      const html = await page.text()
      expect(page.status, page.url).toBe(200)
      expect(times(html).length, page.url).toBeGreaterThan(0)
      for (const { machine, text } of times(html)) {
        expect(text, page.url).toBe(`${machine.slice(0, 10)} ${machine.slice(11, 16)} UTC`)
      }
      // No other spelling of a date is left in the page's text.
      expect(html.replaceAll(TIME, ''), page.url).not.toMatch(/\d{4}-\d{2}-\d{2}(T|\s\d)/)
    }
  })
})

describe('/favicon.ico', () => {
  it('is a small icon, cached for a day, linked by every page', async () => {
    const response = await SELF.fetch(`${ORIGIN}/favicon.ico`)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('image/x-icon')
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=86400')
    const bytes = new Uint8Array(await response.arrayBuffer())
    // ICONDIR: reserved 0, type 1 (icon), one image; the image is a PNG.
    expect([...bytes.slice(0, 6)]).toEqual([0, 0, 1, 0, 1, 0])
    expect(new TextDecoder().decode(bytes.slice(23, 26))).toBe('PNG')
    expect(bytes.length).toBeLessThan(1024)
    const head = await SELF.fetch(`${ORIGIN}/favicon.ico`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    for (const path of ['/', '/accounts/login/']) {
      expect(await (await getPage(path)).text(), path).toContain('<link rel="icon" href="/favicon.ico"')
    }
  })
})

describe('error pages', () => {
  it('lead back: to the home page and to the login', async () => {
    const html = await (await getPage('/static/missing.css')).text()
    expect(html).toContain('<a class="button primary" href="/">')
    expect(html).toContain('href="/accounts/login/"')
  })
})
