/**
 * @module
 * KV operation counters, kept the same way as the D1 query counter (src/db/client.ts):
 * tests and the benchmark read them to prove a path made no KV read or write.
 */

let reads = 0
let writes = 0

/** KV reads (`get`, `getWithMetadata`) since the isolate started. */
export function kvReadCount(): number {
  return reads
}

/** KV writes (`put`, `delete`) since the isolate started. */
export function kvWriteCount(): number {
  return writes
}

const READS = new Set<PropertyKey>(['get', 'getWithMetadata'])
const WRITES = new Set<PropertyKey>(['put', 'delete'])
const instances = new WeakMap<KVNamespace, KVNamespace>()

/** The namespace with every read and write counted; one wrapper per binding object. */
export function countedKv(kv: KVNamespace): KVNamespace {
  let wrapped = instances.get(kv)
  if (!wrapped) {
    wrapped = new Proxy(kv, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          if (READS.has(property)) reads++
          else if (WRITES.has(property)) writes++
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
    instances.set(kv, wrapped)
  }
  return wrapped
}
