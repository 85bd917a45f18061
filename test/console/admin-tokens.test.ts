/**
 * The console's token list (Django admin's AccessToken and RefreshToken changelists): every token
 * of a kind across users and applications, filtered by user, application, state and scope, sorted
 * by id or expiry — never a token's value; bad filters re-show the form with field errors. The
 * tokens are spread over every token database: the list merges them into one order and one set
 * of pages, each named by its shard and row (src/tokens/shards.ts publicTokenId).
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '../../src/db/client.ts'
import { accessTokens, refreshTokens } from '../../src/db/schema.ts'
import { parseTokenId, publicTokenId } from '../../src/tokens/shards.ts'
import { getPage, passwordToken, tokenDatabases } from '../helpers.ts'
import { sessionOf } from './admin-helpers.ts'

/** The token ids a list page shows, in order ("access #12"). */
function listedIds(html: string, kind: 'access' | 'refresh'): number[] {
  return [...html.matchAll(new RegExp(`${kind} #(\\d+)`, 'g'))].map((match) => Number(match[1]))
}

let written = 0

/**
 * Another access token (and its refresh token) of the user for the application, written as the
 * grants write them, each in the next token database.
 */
async function anotherToken(user: { id: number }, app: { id: number }, scope: string) {
  const databases = tokenDatabases()
  const db = getDb(databases[written++ % databases.length].d1)
  const expiresAt = Math.floor(Date.UTC(2100, 0, 1) / 1000)
  const [access] = await db
    .insert(accessTokens)
    .values({ tokenHash: randomHex(), userId: user.id, applicationId: app.id, scope, expiresAt })
    .returning()
  await db.insert(refreshTokens).values({
    tokenHash: randomHex(),
    accessTokenId: access.id,
    userId: user.id,
    applicationId: app.id,
    scope,
    expiresAt,
  })
}

const randomHex = () =>
  [...crypto.getRandomValues(new Uint8Array(32))].map((byte) => byte.toString(16).padStart(2, '0')).join('')

/** The user's tokens of `table` in every token database, named as the console names them, in that order. */
async function tokensOf<T extends typeof accessTokens | typeof refreshTokens>(table: T, userId: number) {
  const rows = []
  for (const { shard, d1 } of tokenDatabases()) {
    const found = await getDb(d1)
      .select({ id: table.id, scope: table.scope })
      .from(table as typeof accessTokens)
      .where(eq(table.userId, userId))
    rows.push(...found.map((row) => ({ ...row, id: publicTokenId(shard, row.id) })))
  }
  return rows.sort((a, b) => a.id - b.id)
}

const accessIdsOf = async (userId: number, scope?: string) =>
  (await tokensOf(accessTokens, userId)).flatMap((row) => (scope === undefined || row.scope === scope ? [row.id] : []))

/** Changes the token the console names `publicId`, in its token database. */
async function setToken(
  table: typeof accessTokens | typeof refreshTokens,
  publicId: number,
  values: { expiresAt?: number; revokedAt?: number },
) {
  const named = parseTokenId(publicId)
  const database = tokenDatabases().find(({ shard }) => shard === named?.shard)
  if (!named || !database) throw new Error(`no token ${publicId}`)
  await getDb(database.d1)
    .update(table as typeof refreshTokens)
    .set(values)
    .where(eq(table.id, named.id))
}

describe('console tokens: list and filter', () => {
  it('lists access tokens of every user and application, never their values; filters by user and by application', async () => {
    const { cookie } = await sessionOf('staff')
    const first = await passwordToken('read')
    const second = await passwordToken('read write')
    const page = await getPage('/admin/tokens/', cookie)
    expect(page.status).toBe(200)
    const html = await page.text()
    for (const { user, app, token, refreshToken } of [first, second]) {
      expect(html).toContain(`href="/admin/users/${user.id}/"`)
      expect(html).toContain(`href="/admin/applications/${app.id}/"`)
      for (const secret of [token, refreshToken, token.slice(4, 20)]) expect(html).not.toContain(secret)
    }
    expect(html).toContain('eat_…')
    expect(html).toContain('<a href="/admin/tokens/">Tokens</a>')
    // The user's and the application's pages lead here.
    expect(await (await getPage(`/admin/users/${first.user.id}/`, cookie)).text()).toContain(
      `href="/admin/tokens/?user=${first.user.username}"`,
    )
    expect(await (await getPage(`/admin/applications/${first.app.id}/`, cookie)).text()).toContain(
      `href="/admin/tokens/?${new URLSearchParams({ application: first.app.clientId }).toString().replaceAll('&', '&amp;')}"`,
    )

    const byUser = await (await getPage(`/admin/tokens/?user=${first.user.username}`, cookie)).text()
    expect(listedIds(byUser, 'access')).toEqual(await accessIdsOf(first.user.id))
    expect(byUser).toContain('1 access token<')
    const byApplication = await (
      await getPage(`/admin/tokens/?${new URLSearchParams({ application: second.app.clientId })}`, cookie)
    ).text()
    expect(listedIds(byApplication, 'access')).toEqual(await accessIdsOf(second.user.id))
  })

  it('filters by a whole scope, by state (live, expired; revoked refresh tokens), and lists refresh tokens', async () => {
    const { cookie } = await sessionOf('superuser')
    const { user, app } = await passwordToken('read')
    await anotherToken(user, app, 'read write')
    const [readOnly] = await accessIdsOf(user.id, 'read')
    const [readWrite] = await accessIdsOf(user.id, 'read write')
    const base = `/admin/tokens/?user=${user.username}`
    expect(listedIds(await (await getPage(`${base}&scope=write`, cookie)).text(), 'access')).toEqual([readWrite])
    // A scope is a whole word: "rea" matches nothing.
    expect(listedIds(await (await getPage(`${base}&scope=rea`, cookie)).text(), 'access')).toEqual([])

    await setToken(accessTokens, readOnly, { expiresAt: 1_000 })
    const expired = await (await getPage(`${base}&state=expired`, cookie)).text()
    expect(listedIds(expired, 'access')).toEqual([readOnly])
    expect(expired).toContain('1 expired access token<')
    expect(expired).toMatch(/data-label="State">expired</)
    expect(listedIds(await (await getPage(`${base}&state=live`, cookie)).text(), 'access')).toEqual([readWrite])

    const refresh = await tokensOf(refreshTokens, user.id)
    expect(refresh).toHaveLength(2)
    await setToken(refreshTokens, refresh[0].id, { revokedAt: 1_000 })
    const refreshPage = await (await getPage(`${base}&kind=refresh`, cookie)).text()
    expect(refreshPage).toContain('ert_…')
    expect(listedIds(refreshPage, 'refresh').sort()).toEqual(refresh.map((row) => row.id).sort())
    const revoked = await (await getPage(`${base}&kind=refresh&state=revoked`, cookie)).text()
    expect(listedIds(revoked, 'refresh')).toEqual([refresh[0].id])
    expect(revoked).toMatch(/data-label="State">revoked</)
    const live = await (await getPage(`${base}&kind=refresh&state=live`, cookie)).text()
    expect(listedIds(live, 'refresh')).toEqual([refresh[1].id])
  })

  it('filters by expiry: the live tokens that expire within a day, 7 days or 30 days', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, app } = await passwordToken('read')
    await anotherToken(user, app, 'read')
    await anotherToken(user, app, 'read')
    await anotherToken(user, app, 'read')
    const ids = await accessIdsOf(user.id)
    const now = Math.floor(Date.now() / 1000)
    // Expired, in an hour, in 3 days, in 20 days.
    const expiries = [now - 60, now + 3_600, now + 3 * 86_400, now + 20 * 86_400]
    for (const [index, id] of ids.entries()) {
      await setToken(accessTokens, id, { expiresAt: expiries[index] })
    }
    const within = async (period: string) =>
      listedIds(
        await (await getPage(`/admin/tokens/?user=${user.username}&expires=${period}&o=id`, cookie)).text(),
        'access',
      )
    expect(await within('day')).toEqual([ids[1]])
    expect(await within('week')).toEqual([ids[1], ids[2]])
    expect(await within('month')).toEqual([ids[1], ids[2], ids[3]])
    const bad = await getPage(`/admin/tokens/?expires=year`, cookie)
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('id="expires-errors">Choose a day, 7 days or 30 days.')
  })

  it('sorts by id (newest first by default) or by expiry, either way; the links keep the filters', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, app } = await passwordToken('read')
    await anotherToken(user, app, 'read')
    await anotherToken(user, app, 'read')
    const ids = await accessIdsOf(user.id)
    // Expiries in another order than the ids: the middle token expires first, the newest last.
    const expiries = [2_000_000_000, 1_900_000_000, 2_100_000_000]
    for (const [index, id] of ids.entries()) {
      await setToken(accessTokens, id, { expiresAt: expiries[index] })
    }
    const base = `/admin/tokens/?user=${user.username}`
    const newest = await (await getPage(base, cookie)).text()
    expect(listedIds(newest, 'access')).toEqual([...ids].reverse())
    expect(newest).toContain(`href="/admin/tokens/?user=${user.username}&amp;o=expires"`)
    expect(newest).toMatch(/aria-sort="descending"><a href="[^"]*o=id" class="sort">Token ↓/)
    const byExpiry = await (await getPage(`${base}&o=expires`, cookie)).text()
    expect(listedIds(byExpiry, 'access')).toEqual([ids[1], ids[0], ids[2]])
    expect(byExpiry).toMatch(/aria-sort="ascending"><a href="[^"]*o=-expires" class="sort">Expires ↑/)
    expect(listedIds(await (await getPage(`${base}&o=-expires`, cookie)).text(), 'access')).toEqual([
      ids[2],
      ids[0],
      ids[1],
    ])
    expect(listedIds(await (await getPage(`${base}&o=id`, cookie)).text(), 'access')).toEqual(ids)
  })

  it('pages 25 at a time, the links keeping the filters and the order; a page past the end is 404', async () => {
    const { cookie } = await sessionOf('staff')
    const { user, app } = await passwordToken('read')
    for (let index = 0; index < 25; index++) await anotherToken(user, app, 'read')
    const base = `/admin/tokens/?user=${user.username}&o=expires`
    const first = await (await getPage(base, cookie)).text()
    expect(first).toContain('26 access tokens')
    expect(listedIds(first, 'access')).toHaveLength(25)
    expect(first).toContain(`href="/admin/tokens/?user=${user.username}&amp;o=expires&amp;page=2"`)
    expect(listedIds(await (await getPage(`${base}&page=2`, cookie)).text(), 'access')).toHaveLength(1)
    expect((await getPage(`${base}&page=3`, cookie)).status).toBe(404)
  })
})

describe('console tokens: refusals', () => {
  it('bad filters re-show the form with each error under its field, what was typed kept (400)', async () => {
    const { cookie } = await sessionOf('staff')
    for (const [query, field, message] of [
      ['user=nobody-has-this-name', 'user', 'No user has this username.'],
      ['application=no-such-client', 'application', 'No application has this client_id.'],
      ['kind=id_token', 'kind', 'Choose access or refresh tokens.'],
      ['state=soon', 'state', 'Choose live, expired or revoked.'],
      ['state=revoked', 'state', 'Access tokens are deleted when revoked: only refresh tokens are kept as revoked.'],
      ['scope=read%20write', 'scope', 'Enter one scope: no spaces, quotes or backslashes.'],
    ] as const) {
      const response = await getPage(`/admin/tokens/?${query}`, cookie)
      expect(response.status, query).toBe(400)
      expect(response.headers.get('Content-Type')).toContain('text/html')
      const html = await response.text()
      expect(html, query).toContain(`id="${field}-errors">${message}`)
      expect(html, query).toContain('aria-invalid="true"')
      expect(html, query).not.toContain('<table class="list">')
    }
    const kept = await (await getPage('/admin/tokens/?user=nobody-has-this-name&scope=read', cookie)).text()
    expect(kept).toContain('value="nobody-has-this-name"')
    expect(kept).toContain('value="read"')
  })

  it('an unknown order is a 400 page; an ordinary user gets 403; no session goes to the login page', async () => {
    const { cookie } = await sessionOf('staff')
    const bad = await getPage('/admin/tokens/?o=token_hash', cookie)
    expect(bad.status).toBe(400)
    expect(bad.headers.get('Content-Type')).toContain('text/html')
    expect(await bad.text()).toContain('This list cannot be sorted by “token_hash”.')
    const { cookie: ordinary } = await sessionOf('user')
    expect((await getPage('/admin/tokens/', ordinary)).status).toBe(403)
    const anonymous = await getPage('/admin/tokens/?kind=refresh')
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('Location')).toBe(
      `/accounts/login/?${new URLSearchParams({ next: '/admin/tokens/?kind=refresh' })}`,
    )
  })
})
