/**
 * @module
 * `npm run manage`'s direct access to the local database (src/cli/sqlite-d1.ts, local-kv.ts,
 * local-project.ts) against the real thing (`npm run test:e2e`): in a throwaway project, Miniflare
 * through wrangler's platform proxy (what `wrangler dev` runs) and the CLI's adapter open the same
 * files, and the same statements give the same answers on both (rows, RETURNING, meta.changes,
 * booleans, BLOBs, a failing batch rolled back, foreign keys enforced). A KV entry Miniflare wrote
 * is gone for Miniflare once the CLI deleted it. If a Miniflare upgrade moves its files, this fails.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { getPlatformProxy } from 'wrangler'
import { openLocalKv } from '../../src/cli/local-kv.ts'
import { readLocalProject } from '../../src/cli/local-project.ts'
import { openSqliteD1 } from '../../src/cli/sqlite-d1.ts'
import { projectCopy } from './project-copy.ts'

const copy = projectCopy('SECRET_KEY=local-database-test\n')
let proxy: Awaited<ReturnType<typeof getPlatformProxy<Env>>>
let local: ReturnType<typeof openSqliteD1>

before(async () => {
  // Where wrangler dev keeps it, run in the project (the proxy's own default is the working directory's).
  proxy = await getPlatformProxy<Env>({
    configPath: join(copy.directory, 'wrangler.toml'),
    persist: { path: join(copy.directory, '.wrangler', 'state', 'v3') },
  })
  // The first statement makes Miniflare create its SQLite file; the CLI then finds it by name.
  await proxy.env.DB.exec(
    'CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE, flag INTEGER, data BLOB); CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))',
  )
  local = openSqliteD1(readLocalProject({ configPath: join(copy.directory, 'wrangler.toml') }).d1File)
})

after(async () => {
  local?.close()
  await proxy?.dispose()
  copy.remove()
})

/** What a D1 result says, without what only one side measures (duration, sizes, rows read). */
function comparable(result: D1Result) {
  return { success: result.success, results: result.results, changes: result.meta.changes }
}

test('the CLI opens the file Miniflare keeps: each sees what the other wrote', async () => {
  await proxy.env.DB.prepare('INSERT INTO parent (name) VALUES (?)').bind('from-miniflare').run()
  await local.d1.prepare('INSERT INTO parent (name) VALUES (?)').bind('from-cli').run()
  const names = 'SELECT name FROM parent ORDER BY id'
  assert.deepEqual((await proxy.env.DB.prepare(names).all()).results, [
    { name: 'from-miniflare' },
    { name: 'from-cli' },
  ])
  assert.deepEqual((await local.d1.prepare(names).all()).results, [{ name: 'from-miniflare' }, { name: 'from-cli' }])
})

test('the same statements give the same results: RETURNING, changes, booleans, BLOBs, raw rows, first()', async () => {
  for (const [db, name] of [
    [proxy.env.DB, 'a'],
    [local.d1, 'b'],
  ] as const) {
    await db
      .prepare('INSERT INTO parent (name, flag, data) VALUES (?, ?, ?)')
      .bind(name, true, new Uint8Array([1, 2, 255]))
      .run()
  }
  const read = 'SELECT name, flag, data FROM parent WHERE name IN (?, ?) ORDER BY name'
  const fromMiniflare = await proxy.env.DB.prepare(read).bind('a', 'b').all()
  const fromCli = await local.d1.prepare(read).bind('a', 'b').all()
  assert.deepEqual(comparable(fromCli), comparable(fromMiniflare))
  assert.deepEqual(fromCli.results[0], { name: 'a', flag: 1, data: [1, 2, 255] })

  const update = 'UPDATE parent SET flag = ? WHERE name IN (?, ?) RETURNING name'
  assert.deepEqual(
    comparable(await local.d1.prepare(update).bind(false, 'a', 'b').all()),
    comparable(await proxy.env.DB.prepare(update).bind(false, 'a', 'b').all()),
  )
  const plain = 'UPDATE parent SET flag = 2 WHERE name IN (?, ?)'
  assert.deepEqual(
    comparable(await local.d1.prepare(plain).bind('a', 'b').run()),
    comparable(await proxy.env.DB.prepare(plain).bind('a', 'b').run()),
  )
  const raw = 'SELECT name, flag FROM parent WHERE name = ?'
  assert.deepEqual(
    await local.d1.prepare(raw).bind('a').raw({ columnNames: true }),
    await proxy.env.DB.prepare(raw).bind('a').raw({ columnNames: true }),
  )
  assert.deepEqual(
    await local.d1.prepare(raw).bind('b').first('flag'),
    await proxy.env.DB.prepare(raw).bind('b').first('flag'),
  )
  assert.equal(await local.d1.prepare(raw).bind('none').first(), await proxy.env.DB.prepare(raw).bind('none').first())
})

test('a batch is one transaction on both: a failing statement undoes the others', async () => {
  for (const db of [proxy.env.DB, local.d1]) {
    const insert = db.prepare('INSERT INTO parent (name) VALUES (?)')
    await assert.rejects(db.batch([insert.bind('batched'), insert.bind('batched')]), /UNIQUE/)
    assert.equal(await db.prepare('SELECT count(*) AS n FROM parent WHERE name = ?').bind('batched').first('n'), 0)
  }
})

test('foreign keys are enforced on both', async () => {
  for (const db of [proxy.env.DB, local.d1]) {
    await assert.rejects(db.prepare('INSERT INTO child (parent_id) VALUES (?)').bind(999_999).run(), /FOREIGN KEY/)
  }
})

test('a KV entry Miniflare wrote is gone for Miniflare once the CLI deleted it', async () => {
  await proxy.env.TOKEN_CACHE.put('revoked', JSON.stringify({ user: 1 }), { expirationTtl: 3600 })
  await proxy.env.TOKEN_CACHE.put('kept', 'still here', { expirationTtl: 3600 })
  const project = readLocalProject({ configPath: join(copy.directory, 'wrangler.toml') })
  const kv = openLocalKv(project.kvFile, project.kvBlobs)
  try {
    await kv.kv.delete('revoked')
    await kv.kv.delete('never-written')
  } finally {
    kv.close()
  }
  assert.equal(await proxy.env.TOKEN_CACHE.get('revoked'), null)
  assert.equal(await proxy.env.TOKEN_CACHE.get('kept'), 'still here')
})
