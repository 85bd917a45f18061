import { env, SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications, users } from '../../src/db/schema.ts'
import {
  basic,
  db,
  fetchWithSettings,
  form,
  hello,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  postToken,
} from '../helpers.ts'

/**
 * DOT's management pages at DOT's paths (/o/applications/…, /o/authorized-tokens/…), over HTTP
 * as a browser sends them: Accept: text/html, the session cookie, Origin on every POST.
 */

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

/** A browser's cookie jar, enough for these pages: name=value pairs, cleared by Max-Age=0. */
class Browser {
  cookies = new Map<string, string>()

  constructor(cookie: string) {
    const [name, value] = cookie.split('=')
    this.cookies.set(name, value)
  }

  private header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  private keep(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  async get(path: string, accept = HTML) {
    return this.keep(
      await SELF.fetch(`${ORIGIN}${path}`, { redirect: 'manual', headers: { Accept: accept, Cookie: this.header() } }),
    )
  }

  async post(path: string, values: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams()
    for (const [name, value] of Object.entries(values)) {
      for (const item of Array.isArray(value) ? value : [value]) body.append(name, item)
    }
    return this.keep(
      await SELF.fetch(`${ORIGIN}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          Accept: HTML,
          'Content-Type': 'application/x-www-form-urlencoded',
          Origin: ORIGIN,
          Cookie: this.header(),
          ...headers,
        },
        body: body.toString(),
      }),
    )
  }
}

async function browser(options: { staff?: boolean; superuser?: boolean } = {}) {
  const user = await makeUser()
  if (options.staff) {
    await db
      .update(users)
      .set({ isStaff: true, isSuperuser: options.superuser ?? false })
      .where(eq(users.id, user.id))
  }
  return { user, browser: new Browser(await login(user)) }
}

const VALID = {
  name: 'Photo Printer',
  client_type: 'confidential',
  authorization_grant_type: ['authorization-code', 'client-credentials'],
  redirect_uris: 'https://printer.example.com/cb\r\nhttp://127.0.0.1:8000/cb\r\n',
}

async function expectPage(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status)
  expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
  expect(response.headers.get('X-Frame-Options')).toBe('DENY')
  return response.text()
}

function location(response: Response): string {
  return response.headers.get('Location') ?? ''
}

/** Registers through the form; the application's id. */
async function register(b: Browser, values: Record<string, string | string[]> = VALID): Promise<number> {
  const response = await b.post('/o/applications/register/', values)
  expect(response.status).toBe(303)
  const match = location(response).match(/^\/o\/applications\/(\d+)\/$/)
  if (!match) throw new Error(`unexpected Location ${location(response)}`)
  return Number(match[1])
}

function secretOn(html: string): string | null {
  return html.match(/<code class="secret" id="client-secret">([^<]+)<\/code>/)?.[1] ?? null
}

function clientIdOn(html: string): string {
  return html.match(/<dd class="mono" id="client-id">([^<]+)<\/dd>/)?.[1] ?? ''
}

function clientCredentials(clientId: string, secret: string) {
  return postToken(form({ grant_type: 'client_credentials' }), { Authorization: basic(clientId, secret) })
}

describe('logged out', () => {
  it('every page redirects to the login page, with next back to it; POSTs change nothing', async () => {
    const app = await makeApplication()
    for (const path of [
      '/o/applications/',
      '/o/applications/register/',
      `/o/applications/${app.id}/`,
      `/o/applications/${app.id}/update/`,
      `/o/applications/${app.id}/delete/`,
      `/o/applications/${app.id}/rotate-secret/`,
      '/o/authorized-tokens/',
      '/o/authorized-tokens/1/delete/',
      '/o/applications/?page=2',
    ]) {
      const response = await SELF.fetch(`${ORIGIN}${path}`, { redirect: 'manual', headers: { Accept: HTML } })
      expect(response.status, path).toBe(302)
      const target = new URL(location(response), ORIGIN)
      expect(target.pathname).toBe('/accounts/login/')
      expect(target.searchParams.get('next')).toBe(path)
    }
    const posted = await SELF.fetch(`${ORIGIN}/o/applications/${app.id}/delete/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Accept: HTML, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    expect(posted.status).toBe(302)
    expect(await db.select().from(applications).where(eq(applications.id, app.id)).get()).toBeDefined()
  })

  it('the login page sends the browser back to the page (a local path only)', async () => {
    const user = await makeUser()
    const response = await SELF.fetch(`${ORIGIN}/accounts/login/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: form({ username: user.username, password: user.plainPassword, next: '/o/applications/register/' }),
    })
    expect(location(response)).toBe('/o/applications/register/')
  })
})

describe('register, see the secret once, edit, rotate, delete', () => {
  it('registers from the form: 303 to the detail page, which shows the working secret once', async () => {
    const { browser: b } = await browser()
    const formPage = await expectPage(await b.get('/o/applications/register/'), 200)
    expect(formPage).toContain('<form method="post" action="/o/applications/register/">')
    expect(formPage).not.toContain('skip_authorization')
    const id = await register(b)
    const detail = await expectPage(await b.get(`/o/applications/${id}/`), 200)
    const secret = secretOn(detail)
    expect(secret).toMatch(/^ecs_/)
    expect(detail).toContain('https://printer.example.com/cb')
    expect(detail).toContain('http://127.0.0.1:8000/cb')
    expect((await clientCredentials(clientIdOn(detail), secret ?? '')).status).toBe(200)
    // Never again: not on a reload, not in the list.
    const again = await expectPage(await b.get(`/o/applications/${id}/`), 200)
    expect(secretOn(again)).toBeNull()
    expect(again).not.toContain(secret)
    expect(await (await b.get('/o/applications/')).text()).not.toContain(secret)
  })

  it('the secret cookie is encrypted, bound to its user and application, and refused once altered', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    const sealed = [...b.cookies].find(([name]) => name.includes('eot_new_secret'))
    expect(sealed).toBeDefined()
    const [name, value] = sealed ?? ['', '']
    expect(value).not.toMatch(/ecs_/)
    // Another user replaying it sees nothing (their session, the same cookie).
    const other = await browser()
    const theirApp = await register(other.browser)
    other.browser.cookies.set(name, value)
    expect(secretOn(await (await other.browser.get(`/o/applications/${theirApp}/`)).text())).toBeNull()
    // Altered: nothing shown; intact: shown.
    const original = new Map(b.cookies)
    // One character in the middle changed (the last ones may only carry base64 padding bits).
    const middle = Math.floor(value.length / 2)
    b.cookies.set(name, `${value.slice(0, middle)}${value[middle] === 'A' ? 'B' : 'A'}${value.slice(middle + 1)}`)
    expect(secretOn(await (await b.get(`/o/applications/${id}/`)).text())).toBeNull()
    b.cookies = original
    expect(secretOn(await (await b.get(`/o/applications/${id}/`)).text())).toMatch(/^ecs_/)
  })

  it('a public client has no secret to show or rotate', async () => {
    const { browser: b } = await browser()
    const id = await register(b, { ...VALID, client_type: 'public', authorization_grant_type: ['authorization-code'] })
    const detail = await expectPage(await b.get(`/o/applications/${id}/`), 200)
    expect(secretOn(detail)).toBeNull()
    expect(detail).toContain('None (public client)')
    await expectPage(await b.get(`/o/applications/${id}/rotate-secret/`), 404)
    await expectPage(await b.post(`/o/applications/${id}/rotate-secret/`, {}), 404)
  })

  it('edits the application: the form is filled in, a POST saves and redirects to the detail page', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    const edit = await expectPage(await b.get(`/o/applications/${id}/update/`), 200)
    expect(edit).toContain('value="Photo Printer"')
    expect(edit).toContain('https://printer.example.com/cb\nhttp://127.0.0.1:8000/cb</textarea>')
    const saved = await b.post(`/o/applications/${id}/update/`, {
      name: 'Photo Printer 2',
      authorization_grant_type: ['authorization-code'],
      redirect_uris: 'https://printer2.example.com/cb',
    })
    expect(saved.status).toBe(303)
    expect(location(saved)).toBe(`/o/applications/${id}/`)
    const row = await db.select().from(applications).where(eq(applications.id, id)).get()
    expect(row?.name).toBe('Photo Printer 2')
    expect(row?.grantTypes).toEqual(['authorization-code'])
    expect(row?.redirectUris).toEqual(['https://printer2.example.com/cb'])
  })

  it('rotates the secret after a confirmation page: the new one shown once works, the old one does not', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    const first = await (await b.get(`/o/applications/${id}/`)).text()
    const confirm = await expectPage(await b.get(`/o/applications/${id}/rotate-secret/`), 200)
    expect(confirm).toContain(`action="/o/applications/${id}/rotate-secret/"`)
    const rotated = await b.post(`/o/applications/${id}/rotate-secret/`, {})
    expect(rotated.status).toBe(303)
    const detail = await (await b.get(`/o/applications/${id}/`)).text()
    const secret = secretOn(detail) ?? ''
    expect(secret).toMatch(/^ecs_/)
    expect(secret).not.toBe(secretOn(first))
    expect((await clientCredentials(clientIdOn(detail), secretOn(first) ?? '')).status).toBe(401)
    expect((await clientCredentials(clientIdOn(detail), secret)).status).toBe(200)
    expect(secretOn(await (await b.get(`/o/applications/${id}/`)).text())).toBeNull()
  })

  it('deletes after a confirmation page (GET changes nothing); its tokens stop working', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    const detail = await (await b.get(`/o/applications/${id}/`)).text()
    const issued = await (await clientCredentials(clientIdOn(detail), secretOn(detail) ?? '')).json<{
      access_token: string
    }>()
    const confirm = await expectPage(await b.get(`/o/applications/${id}/delete/`), 200)
    expect(confirm).toContain('class="button danger"')
    expect(await db.select().from(applications).where(eq(applications.id, id)).get()).toBeDefined()
    const deleted = await b.post(`/o/applications/${id}/delete/`, {})
    expect(deleted.status).toBe(303)
    expect(location(deleted)).toBe('/o/applications/')
    expect(await db.select().from(applications).where(eq(applications.id, id)).get()).toBeUndefined()
    expect((await hello(issued.access_token)).status).toBe(401)
    await expectPage(await b.get(`/o/applications/${id}/`), 404)
  })

  it('lists only the user’s own applications, paginated by PAGE_SIZE', async () => {
    const { browser: b, user } = await browser()
    const ids = [await register(b), await register(b, { ...VALID, name: 'Second' }), await register(b)]
    await register((await browser()).browser, { ...VALID, name: 'Not mine' })
    const list = await expectPage(await b.get('/o/applications/'), 200)
    for (const id of ids) expect(list).toContain(`href="/o/applications/${id}/"`)
    expect(list).not.toContain('Not mine')
    const cookie = [...b.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const paged = (query: string) =>
      fetchWithSettings(
        new Request(`${ORIGIN}/o/applications/${query}`, { headers: { Accept: HTML, Cookie: cookie } }),
        { PAGE_SIZE: '2' },
      )
    const one = await (await paged('')).text()
    expect(one).toContain(`href="/o/applications/${ids[2]}/"`)
    expect(one).not.toContain(`href="/o/applications/${ids[0]}/"`)
    expect(one).toContain('href="/o/applications/?page=2"')
    const two = await (await paged('?page=2')).text()
    expect(two).toContain(`href="/o/applications/${ids[0]}/"`)
    expect(two).not.toContain('?page=3')
    expect(two).toContain('Page 2 of 2')
    expect(await (await paged('?page=last')).text()).toContain(`href="/o/applications/${ids[0]}/"`)
    expect(user.id).toBeGreaterThan(0)
  })

  it('a page past the end, or not a page number, is a 404 page as Django’s ListView answers; an empty list has page 1', async () => {
    const { browser: b } = await browser()
    await expectPage(await b.get('/o/applications/'), 200)
    await expectPage(await b.get('/o/authorized-tokens/'), 200)
    for (const query of ['?page=2', '?page=0', '?page=abc', '?page=-1', '?page=1.5']) {
      await expectPage(await b.get(`/o/applications/${query}`), 404)
      await expectPage(await b.get(`/o/authorized-tokens/${query}`), 404)
    }
    await register(b)
    const only = await expectPage(await b.get('/o/applications/?page=1'), 200)
    // Everything fits on one page: no links between pages.
    expect(only).not.toContain('class="pagination"')
    await expectPage(await b.get('/o/applications/?page=2'), 404)
  })
})

describe('invalid input: the API’s validators, errors beside the field, the input kept', () => {
  it('a bad redirect URI, no grant type, an empty name → 400 with each error at its field', async () => {
    const { browser: b } = await browser()
    const response = await b.post('/o/applications/register/', {
      name: '',
      client_type: 'confidential',
      redirect_uris: 'https://ok.example.com/cb\nhttp://printer.example.com/cb',
    })
    const page = await expectPage(response, 400)
    // The one application form's messages (the console's too): DRF's words, then the API's rules
    // (application-rules.ts), a URI's with its line as typed.
    expect(page).toMatch(/id="name-errors">This field may not be blank\./)
    expect(page).toMatch(/Grant types.*?id="authorization_grant_type-errors">Choose at least one grant type\.</)
    expect(page).toContain('Line 2: Enter an https URI without a fragment (http only for localhost or 127.0.0.1).')
    expect(page).toContain('https://ok.example.com/cb\nhttp://printer.example.com/cb</textarea>')
    expect(page).toMatch(/<div class="field invalid"><label for="name">/)
  })

  it('rules across fields (code grant without redirect URI, public client-credentials) as the API words them', async () => {
    const { browser: b } = await browser()
    const page = await expectPage(
      await b.post('/o/applications/register/', {
        name: 'Kept name',
        client_type: 'public',
        authorization_grant_type: ['authorization-code', 'client-credentials'],
        redirect_uris: '',
      }),
      400,
    )
    expect(page).toContain('The authorization-code grant needs at least one redirect URI.')
    expect(page).toContain('Public clients may not use the client-credentials grant.')
    expect(page).toContain('value="Kept name"')
    expect(page).toMatch(/value="public" checked=""/)
    expect(page).toMatch(/value="client-credentials" checked=""/)
  })

  it('an edit with errors keeps the typed values and changes nothing', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    const page = await expectPage(
      await b.post(`/o/applications/${id}/update/`, {
        name: 'Typed name',
        authorization_grant_type: ['authorization-code'],
        redirect_uris: 'javascript:alert(1)',
      }),
      400,
    )
    expect(page).toContain('value="Typed name"')
    expect(page).toContain('javascript:alert(1)</textarea>')
    expect((await db.select().from(applications).where(eq(applications.id, id)).get())?.name).toBe('Photo Printer')
  })

  it('skip_authorization: superusers only (a forged field is refused); superusers see the box and a warning', async () => {
    const { browser: b } = await browser()
    const page = await expectPage(
      await b.post('/o/applications/register/', { ...VALID, skip_authorization: 'on' }),
      403,
    )
    expect(page).toContain('Only superusers may turn on skip_authorization.')
    const staff = await browser({ staff: true })
    expect(await (await staff.browser.get('/o/applications/register/')).text()).not.toContain(
      'name="skip_authorization"',
    )
    const root = await browser({ staff: true, superuser: true })
    expect(await (await root.browser.get('/o/applications/register/')).text()).toContain('name="skip_authorization"')
    const id = await register(root.browser, { ...VALID, skip_authorization: 'on' })
    expect((await db.select().from(applications).where(eq(applications.id, id)).get())?.skipAuthorization).toBe(true)
  })

  it('a form that cannot be read is a 400 page', async () => {
    const { browser: b } = await browser()
    const response = await b.post('/o/applications/register/', {}, { 'Content-Type': 'multipart/form-data' })
    expect(await expectPage(response, 400)).toContain('invalid_request')
  })
})

describe('another user’s application or token: a 404 page, never its data; nothing changes', () => {
  it('every page and form of another user’s application is 404', async () => {
    const owner = await browser()
    const id = await register(owner.browser)
    const { browser: stranger } = await browser()
    for (const path of [
      `/o/applications/${id}/`,
      `/o/applications/${id}/update/`,
      `/o/applications/${id}/delete/`,
      `/o/applications/${id}/rotate-secret/`,
      '/o/applications/99999999/',
      '/o/applications/abc/',
      `/o/applications/${id}/nothing/`,
    ]) {
      const page = await expectPage(await stranger.get(path), 404)
      expect(page, path).not.toContain('Photo Printer')
    }
    for (const path of [`/o/applications/${id}/update/`, `/o/applications/${id}/delete/`]) {
      await expectPage(await stranger.post(path, { ...VALID, name: 'Stolen' }), 404)
    }
    await expectPage(await stranger.post(`/o/applications/${id}/rotate-secret/`, {}), 404)
    const row = await db.select().from(applications).where(eq(applications.id, id)).get()
    expect(row?.name).toBe('Photo Printer')
    // The owner's secret still works: no rotation happened.
    const detail = await (await owner.browser.get(`/o/applications/${id}/`)).text()
    expect((await clientCredentials(clientIdOn(detail), secretOn(detail) ?? '')).status).toBe(200)
  })
})

describe('cross-site requests are refused (403 page), whatever their Content-Type', () => {
  it('a form posted from another origin, or with no Origin at all, or as JSON, changes nothing', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    const { token } = await passwordToken()
    for (const [path, headers] of [
      ['/o/applications/register/', { Origin: 'https://evil.example' }],
      [`/o/applications/${id}/update/`, { Origin: 'https://evil.example' }],
      [`/o/applications/${id}/delete/`, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }],
      [`/o/applications/${id}/delete/`, { Origin: '' }],
      [`/o/applications/${id}/delete/`, { Origin: 'null', 'Content-Type': 'application/json' }],
      [`/o/applications/${id}/rotate-secret/`, { Origin: 'https://evil.example' }],
      ['/o/authorized-tokens/1/delete/', { Origin: 'https://evil.example' }],
    ] as const) {
      const page = await expectPage(await b.post(path, { ...VALID, name: 'Forged' }, headers), 403)
      expect(page, path).toContain('csrf_failed')
    }
    const row = await db.select().from(applications).where(eq(applications.id, id)).get()
    expect(row?.name).toBe('Photo Printer')
    expect((await hello(token)).status).toBe(200)
  })
})

describe('authorized apps', () => {
  it('lists the apps the user authorized with their scopes (never the token); revoking after a confirmation ends the token', async () => {
    const { user, token } = await passwordToken('read write')
    await passwordToken() // someone else's
    const b = new Browser(await login(user))
    const list = await expectPage(await b.get('/o/authorized-tokens/'), 200)
    expect(list).toContain('Test app')
    expect(list).toContain('<span class="tag" title="Read scope">read</span>')
    expect(list).not.toContain(token)
    const revokeHref = list.match(/href="(\/o\/authorized-tokens\/\d+\/delete\/)"/)?.[1] ?? ''
    expect(list.match(/\/o\/authorized-tokens\/\d+\/delete\//g)).toHaveLength(1)
    const confirm = await expectPage(await b.get(revokeHref), 200)
    expect(confirm).toContain('<strong>write</strong>: Write scope')
    expect((await hello(token)).status).toBe(200)
    const revoked = await b.post(revokeHref, {})
    expect(revoked.status).toBe(303)
    expect(location(revoked)).toBe('/o/authorized-tokens/')
    expect((await hello(token)).status).toBe(401)
    expect(await (await b.get('/o/authorized-tokens/')).text()).toContain('You have not authorized any application.')
    await expectPage(await b.post(revokeHref, {}), 404)
  })

  it('another user’s token: 404 for the confirmation and the revoke, and it keeps working', async () => {
    const victim = await passwordToken()
    const victimBrowser = new Browser(await login(victim.user))
    const list = await (await victimBrowser.get('/o/authorized-tokens/')).text()
    const revokeHref = list.match(/href="(\/o\/authorized-tokens\/\d+\/delete\/)"/)?.[1] ?? ''
    const { browser: stranger } = await browser()
    await expectPage(await stranger.get(revokeHref), 404)
    await expectPage(await stranger.post(revokeHref, {}), 404)
    expect((await hello(victim.token)).status).toBe(200)
  })
})

describe('content negotiation: the JSON API keeps its paths', () => {
  it('Accept: text/html gets the page, anything else the API’s JSON; both say Vary: Accept', async () => {
    const { browser: b } = await browser()
    const id = await register(b)
    for (const path of ['/o/applications/', `/o/applications/${id}/`, '/o/authorized-tokens/']) {
      const page = await b.get(path)
      expect(page.headers.get('Content-Type'), path).toMatch(/^text\/html/)
      expect(page.headers.get('Vary'), path).toContain('Accept')
      for (const accept of ['application/json', '*/*', 'application/json, text/html']) {
        const json = await b.get(path, accept)
        expect(json.status, `${path} ${accept}`).toBe(200)
        expect(json.headers.get('Content-Type'), `${path} ${accept}`).toMatch(/^application\/json/)
        expect(json.headers.get('Vary'), path).toContain('Accept')
      }
    }
    // The API's own answers stay DRF's: GET on rotate-secret is its 405, a missing object its 404.
    expect((await b.get(`/o/applications/${id}/rotate-secret/`, 'application/json')).status).toBe(405)
    const missing = await b.get('/o/applications/99999999/', '*/*')
    expect(await missing.json()).toEqual({ detail: 'Not found.' })
    expect(env.DB).toBeDefined()
  })
})
