/**
 * @module
 * The local KV namespace (TOKEN_CACHE) as `npm run manage` needs it: a cache the CLI never reads
 * or fills (every lookup misses, so D1 answers; a skipped write is a cache miss later), but whose
 * entries it must delete, so that `wrangler dev` refuses a token the CLI revoked at once rather
 * than when its KV entry would have expired. Deletion works on the SQLite file and blob directory
 * where Miniflare keeps the namespace (its `_mf_entries` table); without that file nothing was
 * ever cached, so there is nothing to forget.
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

export type LocalKv = { kv: KVNamespace; close: () => void }

/** `file`: the namespace's SQLite file; `blobs`: the directory of its values. */
export function openLocalKv(file: string, blobs: string): LocalKv {
  let database: DatabaseSync | null | undefined
  const open = () => {
    if (database === undefined) database = existsSync(file) ? new DatabaseSync(file, { timeout: 10_000 }) : null
    return database
  }
  const kv = {
    get: async () => null,
    getWithMetadata: async () => ({ value: null, metadata: null, cacheStatus: null }),
    put: async () => {},
    delete: async (key: string) => {
      const deleted = open()?.prepare('DELETE FROM _mf_entries WHERE key = ? RETURNING blob_id').all(key) ?? []
      for (const row of deleted) rmSync(join(blobs, String(row.blob_id)), { force: true })
    },
    list: async () => {
      throw new Error('list() is not supported on the local KV namespace')
    },
  }
  return { kv: kv as unknown as KVNamespace, close: () => database?.close() }
}
