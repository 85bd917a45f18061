/**
 * `npm run manage` is as strict as the API: the account commands apply the API's username and
 * email rules and Django's password validators, a duplicate username or client_id is one clear
 * line (never SQL), a password is never waited for without a terminal, and the everyday
 * commands (createuser, listapplications, deleteapplication, revoketokens, the DRF key commands)
 * act on what the Worker serves. Commands run against the test D1 as `npm run manage` runs them
 * (test/cli.ts).
 */
import { and, eq } from 'drizzle-orm'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { OPERATOR } from '../../src/accounts/rights.ts'
import { deleteapplication, listapplications } from '../../src/cli/commands/applications.ts'
import { cleartokens } from '../../src/cli/commands/cleartokens.ts'
import { clientkeys } from '../../src/cli/commands/clientkeys.ts'
import { createapplication } from '../../src/cli/commands/createapplication.ts'
import { createsuperuser, createuser } from '../../src/cli/commands/createsuperuser.ts'
import { drf_create_token, listapikeys, revokeapikey } from '../../src/cli/commands/drf_create_token.ts'
import { changepassword, revoketokens } from '../../src/cli/commands/user-state.ts'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { applications, auditLog, usedJtis, users } from '../../src/db/schema.ts'
import { listApiKeys } from '../../src/tokens/api-keys.ts'
import { manage } from '../cli.ts'
import { api, basic, db, form, hello, makeApplication, makeUser, passwordToken, postToken, unique } from '../helpers.ts'

// Not makeUser's default password, so a change is seen.
const STRONG = 'plaid kettle orbit 42'
const storedUser = (username: string) => db.select().from(users).where(eq(users.username, username)).get()
const tokenFor = (username: string, password: string, app: { clientId: string; clientSecret: string | null }) =>
  postToken(form({ grant_type: 'password', username, password }), {
    Authorization: basic(app.clientId, app.clientSecret ?? ''),
  })

describe('createsuperuser / createuser: the API’s rules and Django’s password validators', () => {
  it.each([
    ['an invalid username', ['--username', 'bad name'], /^Error: Enter a valid username/],
    ['a username over 150 characters', ['--username', 'u'.repeat(151)], /^Error: Enter a valid username/],
    ['an invalid email', ['--email', 'not-an-email'], /^Error: Enter a valid email address\.$/],
    ['a short password', ['--password', 'Xy7!q'], /too short\. It must contain at least 8 characters/],
    ['a common password', ['--password', 'password123'], /^Error: This password is too common\.$/],
    ['a numeric password', ['--password', '80417365902'], /^Error: This password is entirely numeric\.$/],
    [
      'a password like the username',
      ['--password', 'USERNAME!'],
      /^Error: The password is too similar to the username\.$/,
    ],
    ['a blank password', ['--password', ''], /^Error: Blank passwords aren’t allowed\.$/],
  ])('refuses %s and creates nobody', async (_name, extra, message) => {
    for (const command of [createsuperuser, createuser]) {
      const username = unique('cli')
      const args = ['--username', username, '--password', STRONG, ...extra].map((arg) =>
        arg === 'USERNAME!' ? `${username}!` : arg,
      )
      // The later --username/--password win, as with parseArgs.
      await expect(manage(command, ...args)).rejects.toThrow(message)
      expect(await storedUser(username)).toBeUndefined()
    }
  })

  it('reports every password problem at once, one line each', async () => {
    await expect(manage(createuser, '--username', unique('cli'), '--password', '1234567')).rejects.toThrow(
      /^Error: This password is too short\. .*\nError: This password is too common\.\nError: This password is entirely numeric\.$/,
    )
  })

  it('a duplicate username, in any case or NFKC form, is one line naming it, never SQL', async () => {
    const user = await makeUser()
    for (const typed of [user.username, user.username.toUpperCase(), user.username.replace(/^u/, 'ｕ')]) {
      for (const command of [createsuperuser, createuser]) {
        const failure = manage(command, '--username', typed, '--password', STRONG)
        await expect(failure).rejects.toThrow(/^Error: That username is already taken\.$/)
      }
    }
  })

  it('no terminal and no --password / DJANGO_SUPERUSER_PASSWORD: fails at once, creates nobody', async () => {
    const username = unique('cli')
    for (const command of [createsuperuser, createuser]) {
      await expect(manage(command, '--username', username)).rejects.toThrow(
        /^Error: no terminal to ask for the password: pass --password/,
      )
    }
    expect(await storedUser(username)).toBeUndefined()
  })

  it('createuser makes a plain user (not staff unless --staff) who can log in; createsuperuser a superuser', async () => {
    const plain = unique('cli')
    expect(await manage(createuser, '--username', plain, '--email', 'p@example.com', '--password', STRONG)).toBe(
      `User '${plain}' created successfully.`,
    )
    expect(await storedUser(plain)).toMatchObject({ isStaff: false, isSuperuser: false, email: 'p@example.com' })
    expect((await tokenFor(plain, STRONG, await makeApplication())).status).toBe(200)
    const staff = unique('cli')
    await manage(createuser, '--username', staff, '--password', STRONG, '--staff')
    expect(await storedUser(staff)).toMatchObject({ isStaff: true, isSuperuser: false })
    const admin = unique('cli')
    expect(await manage(createsuperuser, '--username', admin, '--password', STRONG)).toBe(
      'Superuser created successfully.',
    )
    expect(await storedUser(admin)).toMatchObject({ isStaff: true, isSuperuser: true })
  })
})

describe('changepassword', () => {
  it('applies the validators against this user, and without a terminal fails at once; the password is unchanged', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    for (const args of [[], ['--password', 'short'], ['--password', `${user.username}1`]]) {
      await expect(manage(changepassword, user.username, ...args)).rejects.toThrow(/Password unchanged/)
    }
    await expect(manage(changepassword, user.username)).rejects.toThrow(/no terminal/)
    expect((await tokenFor(user.username, user.plainPassword, app)).status).toBe(200)
    await manage(changepassword, user.username, '--password', STRONG)
    expect((await tokenFor(user.username, user.plainPassword, app)).status).toBe(400)
    expect((await tokenFor(user.username, STRONG, app)).status).toBe(200)
  })

  it('an unknown user is one line', async () => {
    await expect(manage(changepassword, 'nobody-here', '--password', STRONG)).rejects.toThrow(
      /^user 'nobody-here' does not exist$/,
    )
  })
})

describe('applications', () => {
  it('createapplication: a duplicate --client-id is one line naming it, without SQL or the secret’s digest', async () => {
    const existing = await makeApplication()
    const secret = 's'.repeat(40)
    const failure = manage(
      createapplication,
      ...['--name', unique('dup'), '--client-type', 'confidential', '--grant-type', 'client-credentials'],
      ...['--client-id', existing.clientId, '--client-secret', secret],
    )
    await expect(failure).rejects.toThrow(
      new RegExp(`^Error: an application with client_id ${existing.clientId} already exists\\.$`),
    )
  })

  it('listapplications lists each with its grants and owner; deleteapplication deletes one and its tokens stop', async () => {
    const { app, token } = await passwordToken()
    const listed = await manage(listapplications)
    expect(listed.split('\n')).toContain(
      [app.clientId, app.name, app.clientType, app.grantTypes.join(','), '(no owner)'].join('\t'),
    )
    expect(await manage(deleteapplication, app.clientId)).toMatch(/deleted/)
    expect((await hello(token)).status).toBe(401)
    expect(await manage(listapplications)).not.toContain(app.clientId)
    await expect(manage(deleteapplication, app.clientId)).rejects.toThrow(/^Error: no application with client_id/)
  })
})

describe('revoketokens', () => {
  it('--user revokes the user’s OAuth tokens and DRF keys, not others’', async () => {
    const mine = await passwordToken()
    const theirs = await passwordToken()
    const key = (await manage(drf_create_token, mine.user.username)).split(' ')[2]
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
    await manage(revoketokens, '--user', mine.user.username)
    expect((await hello(mine.token)).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(401)
    const refreshed = await postToken(form({ grant_type: 'refresh_token', refresh_token: mine.refreshToken }), {
      Authorization: basic(mine.app.clientId, mine.app.clientSecret ?? ''),
    })
    expect(refreshed.status).toBe(400)
    expect((await hello(theirs.token)).status).toBe(200)
  })

  it('--application revokes the tokens issued to that client only; a bad call is one line', async () => {
    const one = await passwordToken()
    const other = await passwordToken()
    await manage(revoketokens, '--application', one.app.clientId)
    expect((await hello(one.token)).status).toBe(401)
    expect((await hello(other.token)).status).toBe(200)
    await expect(manage(revoketokens)).rejects.toThrow(/^Usage: revoketokens/)
    await expect(manage(revoketokens, '--application', 'nope')).rejects.toThrow(/^Error: no application/)
    await expect(manage(revoketokens, '--user', 'nobody-here')).rejects.toThrow(/does not exist/)
  })
})

describe('DRF keys: drf_create_token, listapikeys, revokeapikey', () => {
  it('a first key; again without -r is refused; --add one more; listapikeys shows prefixes; revokeapikey by prefix or id; -r leaves one', async () => {
    const user = await makeUser()
    const keyOf = (output: string) => /Generated token ([0-9a-f]{40}) /.exec(output)?.[1] ?? ''
    const first = keyOf(await manage(drf_create_token, user.username))
    await expect(manage(drf_create_token, user.username)).rejects.toThrow(/already has a token/)
    const second = keyOf(await manage(drf_create_token, user.username, '--add'))
    const listing = await manage(listapikeys, user.username)
    expect(listing).toContain(`${first.slice(0, 8)}…`)
    expect(listing).toContain(`${second.slice(0, 8)}…`)
    expect(listing).not.toContain(first)

    expect(await manage(revokeapikey, user.username, first.slice(0, 6))).toMatch(/revoked/)
    expect((await api('/api/hello', { authorization: `Token ${first}` })).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${second}` })).status).toBe(200)
    await expect(manage(revokeapikey, user.username, first.slice(0, 6))).rejects.toThrow(/has no API key/)

    const third = keyOf(await manage(drf_create_token, user.username, '--add'))
    const [{ id }] = await listApiKeys(db, user.id)
    expect(await manage(revokeapikey, user.username, String(id))).toMatch(/revoked/)
    expect((await api('/api/hello', { authorization: `Token ${third}` })).status).toBe(401)

    const replaced = keyOf(await manage(drf_create_token, user.username, '-r'))
    expect((await api('/api/hello', { authorization: `Token ${second}` })).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${replaced}` })).status).toBe(200)
    expect(await listApiKeys(db, user.id)).toHaveLength(1)
  })
})

describe('private_key_jwt keys (RFC 7523 §2.2): createapplication --jwks / --jwks-uri, clientkeys', () => {
  async function signingKey(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid } }
  }
  const assertionFor = (clientId: string, key: { kid: string; privateKey: CryptoKey }) =>
    new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience('https://example.com')
      .setExpirationTime('1m')
      .sign(key.privateKey)
  const clientCredentials = async (clientId: string, key: { kid: string; privateKey: CryptoKey }) =>
    postToken(
      form({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertionFor(clientId, key),
      }),
    )
  const clientIdOf = (output: string) => /client_id:\s+(\S+)/.exec(output)?.[1] ?? ''

  it('a client_credentials client with only a key: no secret printed or stored; it gets tokens with assertions', async () => {
    const key = await signingKey('k1')
    const output = await manage(
      createapplication,
      ...['--name', unique('m2m'), '--client-type', 'confidential', '--grant-type', 'client-credentials'],
      ...['--jwks', JSON.stringify({ keys: [key.jwk] })],
    )
    expect(output).not.toContain('client_secret')
    expect(output).toContain('keys:          k1')
    const clientId = clientIdOf(output)
    const [row] = await db.select().from(applications).where(eq(applications.clientId, clientId))
    expect(row.clientSecretHash).toBe('')
    expect((await clientCredentials(clientId, key)).status).toBe(200)
  })

  it('refuses a private key, keys for a public client, --jwks with --jwks-uri, a jwks_uri that is not public https', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const base = ['--name', unique('m2m'), '--client-type', 'confidential', '--grant-type', 'client-credentials']
    await expect(
      manage(createapplication, ...base, '--jwks', JSON.stringify({ keys: [await exportJWK(privateKey)] })),
    ).rejects.toThrow(/private or symmetric key material/)
    await expect(manage(createapplication, ...base, '--jwks', 'not json')).rejects.toThrow(/--jwks: not JSON/)
    await expect(manage(createapplication, ...base, '--jwks-uri', 'http://keys.example.org/jwks')).rejects.toThrow(
      /--jwks-uri/,
    )
    const key = await signingKey('k1')
    const jwks = JSON.stringify({ keys: [key.jwk] })
    await expect(
      manage(createapplication, ...base, '--jwks', jwks, '--jwks-uri', 'https://keys.example.org/j'),
    ).rejects.toThrow(/not both/)
    const publicBase = ['--name', unique('pub'), '--client-type', 'public', '--grant-type', 'authorization-code']
    await expect(
      manage(createapplication, ...publicBase, '--redirect-uri', 'https://client.example/cb', '--jwks', jwks),
    ).rejects.toThrow(/public client/)
  })

  it('clientkeys rotates a client’s keys (the old key stops, the new one works) and removes them', async () => {
    const [old, rotated] = [await signingKey('old'), await signingKey('new')]
    const app = await makeApplication({
      grantTypes: ['client-credentials'],
      clientSecret: null,
      jwks: { keys: [old.jwk] },
    })
    expect((await clientCredentials(app.clientId, old)).status).toBe(200)
    const output = await manage(clientkeys, app.clientId, '--jwks', JSON.stringify({ keys: [rotated.jwk] }))
    expect(output).toContain('keys:          new')
    expect((await clientCredentials(app.clientId, old)).status).toBe(401)
    expect((await clientCredentials(app.clientId, rotated)).status).toBe(200)
    expect(await manage(clientkeys, app.clientId, '--remove')).toMatch(/cannot authenticate until/)
    expect((await clientCredentials(app.clientId, rotated)).status).toBe(401)
    // Audited as the operator's, as the console's key changes are the user's.
    const audited = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectType, 'application'), eq(auditLog.objectId, String(app.id))))
    expect(audited.map((row) => [row.action, row.actorUsername, row.message])).toEqual([
      ['application.keys', OPERATOR.username, expect.stringMatching(/^Replaced the client’s .*new/)],
      ['application.keys', OPERATOR.username, 'Removed the client’s keys (private_key_jwt).'],
    ])
    await expect(manage(clientkeys, app.clientId)).rejects.toThrow(/one of --jwks, --jwks-uri or --remove/)
    await expect(manage(clientkeys, 'no-such-client', '--remove')).rejects.toThrow(/no application/)
    const publicApp = await makeApplication({ clientType: 'public' })
    await expect(manage(clientkeys, publicApp.clientId, '--remove')).rejects.toThrow(/public client/)
  })
})

describe('cleartokens', () => {
  it('deletes every kind of expired row and names each kind it counted', async () => {
    const keyHash = await sha256Hex(unique('expired-jti'))
    await db.insert(usedJtis).values({ keyHash, expiresAt: Math.floor(Date.now() / 1000) - 60 })
    const output = await manage(cleartokens)
    expect(output).toMatch(
      /^Deleted \d+ expired access tokens, \d+ refresh tokens, \d+ authorization codes, \d+ device codes, \d+ pushed authorization requests, [1-9]\d* used JWT IDs\.$/m,
    )
    expect(await db.select().from(usedJtis).where(eq(usedJtis.keyHash, keyHash))).toEqual([])
  })
})
