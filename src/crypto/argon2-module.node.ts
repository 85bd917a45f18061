/**
 * @module
 * The argon2 WASM for the Node CLI (`npm run manage`): Node may compile from bytes.
 * package.json `imports` picks this file or the workerd one by resolution condition.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

// The Workers types leave compile() out on purpose: it exists in Node, not in production Workers.
const { compile } = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> }

export async function argon2Module(): Promise<WebAssembly.Module> {
  const path = createRequire(import.meta.url).resolve('@phi-ag/argon2/argon2.wasm')
  return compile(await readFile(path))
}
