/**
 * @module
 * How long `manage import-django` takes on a large dump (`node bench/import-django.ts [users]`,
 * default 100,000): a dump of that many users (Django PBKDF2 hashes), one DRF key each, an
 * application per 100 users and a live access + refresh token per 10 users, generated here, then
 * imported through the same code as the CLI into a throwaway local D1 (wrangler's platform proxy,
 * the database `npm run manage` uses, in a temporary directory). Prints the wall time per step.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getPlatformProxy } from 'wrangler'
import { getDb } from '../src/db/client.ts'
import { importDjangoDump } from '../src/import/django.ts'

const USERS = Number(process.argv[2] ?? 100_000)
const now = Math.floor(Date.now() / 1000)
const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
// Random [A-Za-z0-9] (oauthlib's generate_token alphabet); the modulo bias does not matter here.
const alnum = (n: number) => Array.from(randomBytes(n), (byte) => CHARS[byte % 62]).join('')

function dump(): unknown[] {
  const records: unknown[] = []
  for (let i = 1; i <= USERS; i++) {
    records.push({
      model: 'auth.user',
      pk: i,
      fields: {
        password: `pbkdf2_sha256$1000000$${alnum(22)}$${randomBytes(32).toString('base64')}`,
        last_login: null,
        is_superuser: false,
        username: `user${i}`,
        first_name: '',
        last_name: '',
        email: `user${i}@example.com`,
        is_staff: false,
        is_active: true,
        date_joined: iso(now - 86400),
        groups: [],
        user_permissions: [],
      },
    })
    records.push({
      model: 'authtoken.token',
      pk: randomBytes(20).toString('hex'),
      fields: { user: i, created: iso(now - 3600) },
    })
  }
  const applications = Math.max(1, Math.floor(USERS / 100))
  for (let a = 1; a <= applications; a++) {
    records.push({
      model: 'oauth2_provider.application',
      pk: a,
      fields: {
        client_id: `client${a}`,
        user: a,
        redirect_uris: `https://app${a}.example.com/cb`,
        client_type: 'confidential',
        authorization_grant_type: 'authorization-code',
        client_secret: `secret-${alnum(40)}`,
        name: `app ${a}`,
        skip_authorization: false,
        created: iso(now - 86400),
        updated: iso(now - 86400),
        algorithm: '',
      },
    })
  }
  for (let t = 1; t <= Math.floor(USERS / 10); t++) {
    const fields = { user: t, application: (t % applications) + 1, created: iso(now - 60) }
    records.push({
      model: 'oauth2_provider.accesstoken',
      pk: t,
      fields: {
        ...fields,
        source_refresh_token: null,
        token: alnum(30),
        id_token: null,
        expires: iso(now + 86400),
        scope: 'read write',
        updated: fields.created,
      },
    })
    records.push({
      model: 'oauth2_provider.refreshtoken',
      pk: t,
      fields: { ...fields, token: alnum(30), access_token: t, updated: fields.created, revoked: null },
    })
  }
  return records
}

// Generated before the proxy starts: a long synchronous stretch with its connection idle makes the
// next request fail (EPIPE), as happened at 100,000 users.
const data = dump()
const persist = mkdtempSync(join(tmpdir(), 'import-bench-'))
const proxy = await getPlatformProxy<Env>({ configPath: 'wrangler.toml', persist: { path: persist } })
try {
  for (const file of readdirSync('migrations')
    .filter((name) => name.endsWith('.sql'))
    .sort()) {
    for (const statement of readFileSync(join('migrations', file), 'utf8').split('--> statement-breakpoint')) {
      if (statement.replace(/--.*$/gm, '').trim()) await proxy.env.DB.prepare(statement).run()
    }
  }
  console.log(`dump: ${USERS} users, ${data.length} records, ${JSON.stringify(data).length >> 20} MiB of JSON`)
  const db = getDb(proxy.env.DB)
  let start = performance.now()
  const dry = await importDjangoDump(db, data, { now, refreshLifetime: 1_209_600, dryRun: true })
  console.log(`dry run (parse, check, plan): ${((performance.now() - start) / 1000).toFixed(1)} s`, dry.planned)
  start = performance.now()
  const summary = await importDjangoDump(db, data, { now, refreshLifetime: 1_209_600 })
  console.log(`import: ${((performance.now() - start) / 1000).toFixed(1)} s`, summary.written)
  start = performance.now()
  const again = await importDjangoDump(db, data, { now, refreshLifetime: 1_209_600 })
  console.log(`again (writes nothing): ${((performance.now() - start) / 1000).toFixed(1)} s`, again.written)
} finally {
  await proxy.dispose()
  rmSync(persist, { recursive: true, force: true })
}
