/**
 * @module
 * Argon2 (RFC 9106) from the reference C implementation compiled to WASM (@phi-ag/argon2's
 * build), called through its raw `argon2_hash` export. The package's JS wrapper is not used:
 * it passes a password's UTF-16 length where the C code wants its UTF-8 byte count.
 */
import { argon2Module } from '#argon2-module'

/** The reference implementation's `argon2_type` values. */
const ARGON2_TYPES = { argon2d: 0, argon2i: 1, argon2id: 2 } as const
type Argon2Type = keyof typeof ARGON2_TYPES

export type Argon2Params = {
  type: Argon2Type
  /** 0x10 (16) or 0x13 (19), RFC 9106 §3.1. */
  version: 16 | 19
  memoryKiB: number
  iterations: number
  parallelism: number
}

// A Worker isolate has 128 MB and a WASM memory never shrinks: the shared instance serves
// hashes up to this cost, a dearer stored hash gets a throwaway instance, and none above
// ARGON2_MAX_MEMORY_KIB is attempted.
const SHARED_INSTANCE_MAX_KIB = 19_456
const ARGON2_MAX_MEMORY_KIB = 65_536
const MAX_ITERATIONS = 16
const MAX_PARALLELISM = 16

/**
 * The dearest hash computed, in KiB × passes (memory × iterations: the work, whatever the lanes,
 * which the WASM build runs one after another): 64 MiB and 3 passes, RFC 9106 §4's second
 * recommended option and argon2-cffi's default, 5× our own hash (~170 ms of CPU in Node against
 * ~35 ms). An imported hash above it never verifies (its owner resets the password), so no stored
 * parameters can make one check cost seconds (it could be 27× ours, ~1 s in Node and ~4 s under
 * `wrangler dev`, before this cap).
 */
export const ARGON2_MAX_COST = 65_536 * 3

/** What one hash at `params` costs, in KiB × passes (the unit of ARGON2_MAX_COST and argon2WorkDone). */
export function argon2Cost(params: Pick<Argon2Params, 'memoryKiB' | 'iterations'>): number {
  return params.memoryKiB * params.iterations
}

type Exports = {
  memory: WebAssembly.Memory
  _initialize(): void
  malloc(size: number): number
  free(pointer: number): void
  argon2_hash(
    tCost: number,
    mCost: number,
    parallelism: number,
    pwd: number,
    pwdLength: number,
    salt: number,
    saltLength: number,
    hash: number,
    hashLength: number,
    encoded: number,
    encodedLength: number,
    type: number,
    version: number,
  ): number
  argon2_error_message(code: number): number
}

async function instantiate(): Promise<Exports> {
  const instance = await WebAssembly.instantiate(await argon2Module(), {})
  const exports = instance.exports as unknown as Exports
  exports._initialize()
  return exports
}

let shared: Promise<Exports> | undefined
let work = 0

/**
 * Argon2 work done since the isolate started, in KiB × passes (what a hash costs, up to a
 * constant). Tests read it to prove that two code paths cost the same without timing them.
 * @internal Exported for tests: test/accounts/login-cost.test.ts compares costs without timing them.
 */
export function argon2WorkDone(): number {
  return work
}

function sharedInstance(): Promise<Exports> {
  shared ??= instantiate().catch((error) => {
    shared = undefined
    throw error
  })
  return shared
}

/** True when the parameters are ones this module will compute. */
export function isSupportedArgon2(params: Argon2Params): boolean {
  const { memoryKiB, iterations, parallelism } = params
  return (
    Object.hasOwn(ARGON2_TYPES, params.type) &&
    (params.version === 16 || params.version === 19) &&
    Number.isInteger(parallelism) &&
    parallelism >= 1 &&
    parallelism <= MAX_PARALLELISM &&
    Number.isInteger(iterations) &&
    iterations >= 1 &&
    iterations <= MAX_ITERATIONS &&
    Number.isInteger(memoryKiB) &&
    memoryKiB >= 8 * parallelism &&
    memoryKiB <= ARGON2_MAX_MEMORY_KIB &&
    argon2Cost(params) <= ARGON2_MAX_COST
  )
}

/** The raw Argon2 tag of `password` and `salt` (both bytes), `hashLength` bytes long. */
export async function argon2Hash(
  password: Uint8Array,
  salt: Uint8Array,
  params: Argon2Params,
  hashLength: number,
): Promise<Uint8Array> {
  if (!isSupportedArgon2(params)) throw new RangeError('Unsupported argon2 parameters')
  if (!Number.isInteger(hashLength) || hashLength < 4 || hashLength > 1024) {
    throw new RangeError('Unsupported argon2 hash length')
  }
  const wasm = params.memoryKiB <= SHARED_INSTANCE_MAX_KIB ? await sharedInstance() : await instantiate()
  // Synchronous from here on: no other request can use the instance in between.
  const pwd = wasm.malloc(password.length + 1)
  const saltPointer = wasm.malloc(salt.length + 1)
  const hash = wasm.malloc(hashLength)
  try {
    new Uint8Array(wasm.memory.buffer).set(password, pwd)
    new Uint8Array(wasm.memory.buffer).set(salt, saltPointer)
    const code = wasm.argon2_hash(
      params.iterations,
      params.memoryKiB,
      params.parallelism,
      pwd,
      password.length,
      saltPointer,
      salt.length,
      hash,
      hashLength,
      0,
      0,
      ARGON2_TYPES[params.type],
      params.version,
    )
    if (code !== 0) throw new Error(`argon2 failed: ${cString(wasm, wasm.argon2_error_message(code))}`)
    work += argon2Cost(params)
    // The memory buffer may have grown (and been replaced) during the hash.
    return new Uint8Array(wasm.memory.buffer).slice(hash, hash + hashLength)
  } finally {
    // The password does not linger in the shared instance's memory.
    new Uint8Array(wasm.memory.buffer).fill(0, pwd, pwd + password.length)
    wasm.free(pwd)
    wasm.free(saltPointer)
    wasm.free(hash)
  }
}

function cString(wasm: Exports, pointer: number): string {
  const heap = new Uint8Array(wasm.memory.buffer)
  let end = pointer
  while (heap[end] !== 0 && end < heap.length) end++
  return new TextDecoder().decode(heap.subarray(pointer, end))
}
