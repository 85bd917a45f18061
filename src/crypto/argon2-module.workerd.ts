/**
 * @module
 * The argon2 WASM for the Worker: imported as a module, which wrangler and the vitest pool
 * bundle as CompiledWasm. Workers cannot compile WebAssembly from bytes at run time.
 */
import wasm from '@phi-ag/argon2/argon2.wasm'

export async function argon2Module(): Promise<WebAssembly.Module> {
  return wasm
}
