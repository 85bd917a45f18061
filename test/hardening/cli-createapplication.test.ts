/**
 * `manage createapplication` applies the management API's rules: no
 * `javascript:` or plain-http non-loopback URIs, no one-character client secret. The command
 * runs here against the test D1 as `npm run manage` runs it (test/cli.ts).
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applicationFromOptions, createapplication } from '../../src/cli/commands/createapplication.ts'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { applications } from '../../src/db/schema.ts'
import { manage as run } from '../cli.ts'
import { basic, db, form, postToken, unique } from '../helpers.ts'

/** `manage createapplication <args>` (test/cli.ts). */
const manage = (args: string[]) => run(createapplication, ...args)

const stored = (name: string) => db.select().from(applications).where(eq(applications.name, name))

function codeApp(name: string, ...extra: string[]) {
  return ['--name', name, '--client-type', 'confidential', '--grant-type', 'authorization-code', ...extra]
}

describe('createapplication shares the management API’s validators', () => {
  it('refuses javascript: and plain-http non-loopback --redirect-uri and --post-logout-redirect-uri; stores nothing', async () => {
    const name = unique('cli')
    const refusals: [string[], RegExp][] = [
      [['--redirect-uri', 'javascript:alert(1)'], /--redirect-uri "javascript:alert\(1\)": Enter an https URI/],
      [['--redirect-uri', 'http://client.example/cb'], /--redirect-uri/],
      [['--redirect-uri', 'https://client.example/cb https://evil.example/cb'], /whitespace/],
      [
        ['--redirect-uri', 'https://client.example/cb', '--post-logout-redirect-uri', 'javascript:alert(1)'],
        /--post-logout-redirect-uri/,
      ],
      [
        ['--redirect-uri', 'https://client.example/cb', '--post-logout-redirect-uri', 'http://rp.example/bye'],
        /--post-logout-redirect-uri/,
      ],
      [
        ['--redirect-uri', 'https://client.example/cb', '--client-secret', 'x'],
        /--client-secret: A client secret needs at least 32 characters/,
      ],
      [[], /--redirect-uri: The authorization-code grant needs at least one redirect URI/],
    ]
    for (const [extra, message] of refusals) {
      await expect(manage(codeApp(name, ...extra)), extra.join(' ')).rejects.toThrow(message)
    }
    await expect(
      manage(['--name', name, '--client-type', 'public', '--grant-type', 'client-credentials']),
    ).rejects.toThrow(/Public clients may not use the client-credentials grant/)
    expect(await stored(name)).toEqual([])
  })

  it('creates a sound application with lists, each grant once, and a chosen secret that works', async () => {
    const name = unique('cli')
    const secret = 's'.repeat(40)
    const output = await manage([
      '--name',
      name,
      '--client-type',
      'confidential',
      '--grant-type',
      'client-credentials,client-credentials',
      '--grant-type',
      'authorization-code',
      '--redirect-uri',
      'https://client.example/cb',
      '--redirect-uri',
      'http://127.0.0.1:8000/cb',
      '--post-logout-redirect-uri',
      'https://client.example/bye',
      '--client-secret',
      secret,
    ])
    expect(output).toContain(`client_secret: ${secret}`)
    const [row] = await stored(name)
    expect(row.grantTypes).toEqual(['client-credentials', 'authorization-code'])
    expect(row.redirectUris).toEqual(['https://client.example/cb', 'http://127.0.0.1:8000/cb'])
    expect(row.postLogoutRedirectUris).toEqual(['https://client.example/bye'])
    expect(row.clientSecretHash).toBe(await sha256Hex(secret))
    const token = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(row.clientId, secret),
    })
    expect(token.status).toBe(200)
  })

  it('RFC 9126 §6: --require-pushed-authorization-requests marks the client; absent, it is not', async () => {
    const [marked, plain] = [unique('cli'), unique('cli')]
    await manage([
      ...codeApp(marked, '--redirect-uri', 'https://client.example/cb'),
      '--require-pushed-authorization-requests',
    ])
    await manage(codeApp(plain, '--redirect-uri', 'https://client.example/cb'))
    expect((await stored(marked))[0].requirePushedAuthorizationRequests).toBe(true)
    expect((await stored(plain))[0].requirePushedAuthorizationRequests).toBe(false)
  })

  it('RFC 9449 §5.2: --dpop-bound-access-tokens marks the client, whose token requests then need a DPoP proof', async () => {
    const [marked, plain] = [unique('cli'), unique('cli')]
    const service = (name: string) => [
      '--name',
      name,
      '--client-type',
      'confidential',
      '--grant-type',
      'client-credentials',
    ]
    const output = await manage([...service(marked), '--dpop-bound-access-tokens'])
    await manage(service(plain))
    const [row] = await stored(marked)
    expect(row.dpopBoundAccessTokens).toBe(true)
    expect((await stored(plain))[0].dpopBoundAccessTokens).toBe(false)
    const secret = /client_secret: (\S+)/.exec(output)?.[1] ?? ''
    const refused = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(row.clientId, secret),
    })
    expect(refused.status).toBe(400)
    expect((await refused.json<{ error: string }>()).error).toBe('invalid_dpop_proof')
  })

  it('the options table takes every list flag more than once', () => {
    for (const flag of ['grant-type', 'redirect-uri', 'post-logout-redirect-uri']) {
      expect(createapplication.options[flag], flag).toMatchObject({ type: 'string', multiple: true })
    }
    expect(createapplication.options['client-secret']).toMatchObject({ type: 'string' })
  })

  it('applicationFromOptions reports every problem at once, by flag', () => {
    expect(() =>
      applicationFromOptions({
        name: 'x',
        'client-type': 'confidential',
        'grant-type': ['authorization-code'],
        'redirect-uri': ['https://ok.example/cb', 'javascript:x'],
        'client-secret': 'short',
      }),
    ).toThrow(/--redirect-uri "javascript:x": .*\n--client-secret: /s)
  })
})
