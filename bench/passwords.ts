/**
 * @module
 * CPU time per password hash (`npm run bench:passwords`): the hashers of src/crypto/ run in
 * Node's V8 (the engine of workerd), timed by process CPU time, which a Worker cannot read
 * (deployed Workers advance their clocks only at I/O). Also checks Django 5.2's 1,000,000-iteration test vector, and that the
 * pure-JS PBKDF2 and argon2 (at the cap on stored hashes) stay under the budgets the login time floor
 * assumes (ratios with a margin, not timed tests): exits non-zero if they do not.
 */
import { cpuUsage } from 'node:process'
import { pbkdf2 } from '@noble/hashes/pbkdf2.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ARGON2_MAX_COST, argon2Cost, argon2Hash } from '../src/crypto/argon2.ts'
import { utf8 } from '../src/crypto/encoding.ts'
import {
  ARGON2_BUDGET_NS_PER_KIB_PASS,
  hashPassword,
  PBKDF2_JS_BUDGET_NS_PER_ITERATION,
  verifyPassword,
} from '../src/crypto/passwords.ts'
import { pbkdf2Sha256, webCryptoPbkdf2Sha256 } from '../src/crypto/pbkdf2.ts'

const RUNS = 5

async function cpuMs(run: () => Promise<unknown>): Promise<number> {
  await run() // warm-up: module instantiation, JIT
  const samples: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const start = cpuUsage()
    await run()
    const used = cpuUsage(start)
    samples.push((used.user + used.system) / 1000)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]
}

const password = utf8('correct horse battery staple')
const salt = utf8('0123456789abcdefghijkl')
// The dearest argon2 hash a stored password may carry (ARGON2_MAX_COST): 64 MiB, 3 passes.
const ARGON2_AT_CAP = { type: 'argon2id', version: 19, memoryKiB: 65_536, iterations: 3, parallelism: 4 } as const
const rows: [string, number][] = [
  ['argon2id m=19456 t=2 p=1 (WASM) — hashPassword', await cpuMs(() => hashPassword('correct horse battery staple'))],
  [
    'argon2id m=65536 t=3 p=4 (WASM, a throwaway instance) — the cap on stored hashes',
    await cpuMs(() => argon2Hash(password, salt, ARGON2_AT_CAP, 32)),
  ],
  ['PBKDF2-SHA256 100,000 (Web Crypto)', await cpuMs(() => webCryptoPbkdf2Sha256(password, salt, 100_000, 32))],
  ['PBKDF2-SHA256 600,000 (pure JS)', await cpuMs(() => pbkdf2Sha256(password, salt, 600_000, 32))],
  ['PBKDF2-SHA256 1,000,000 (pure JS)', await cpuMs(() => pbkdf2Sha256(password, salt, 1_000_000, 32))],
  [
    'PBKDF2-SHA256 1,000,000 (@noble/hashes, generic; not used)',
    await cpuMs(async () => pbkdf2(sha256, password, salt, { c: 1_000_000, dkLen: 32 })),
  ],
]
console.log('| hash | median CPU ms |\n| --- | ---: |')
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} |`)

const django = 'pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps='
if (!(await verifyPassword('lètmein', django))) throw new Error('Django 1,000,000-iteration vector failed')
console.log('Django 5.2 pbkdf2_sha256 1,000,000-iteration vector: verified')

// The login time floor (src/accounts/password-timing.ts) assumes PBKDF2_JS_BUDGET_NS_PER_ITERATION:
// the measured cost must stay under it with a 1.5× margin, else the floor would not cover a legacy check.
const measuredNs = (rows[4][1] * 1e6) / 1_000_000
const ratio = PBKDF2_JS_BUDGET_NS_PER_ITERATION / measuredNs
console.log(
  `pure-JS PBKDF2: ${measuredNs.toFixed(0)} ns/iteration; floor budget ${PBKDF2_JS_BUDGET_NS_PER_ITERATION} ns (${ratio.toFixed(2)}×)`,
)
if (ratio < 1.5) throw new Error('pure-JS PBKDF2 is within 1.5× of the login time floor budget: raise the budget')

// The same for argon2 (ARGON2_BUDGET_NS_PER_KIB_PASS, per KiB × pass), measured at the cap.
if (argon2Cost(ARGON2_AT_CAP) !== ARGON2_MAX_COST) throw new Error('ARGON2_AT_CAP is not at ARGON2_MAX_COST')
const argon2Ns = (rows[1][1] * 1e6) / ARGON2_MAX_COST
const argon2Ratio = ARGON2_BUDGET_NS_PER_KIB_PASS / argon2Ns
console.log(
  `argon2 at the cap: ${argon2Ns.toFixed(0)} ns per KiB × pass; floor budget ${ARGON2_BUDGET_NS_PER_KIB_PASS} ns (${argon2Ratio.toFixed(2)}×)`,
)
if (argon2Ratio < 1.5) throw new Error('argon2 is within 1.5× of the login time floor budget: raise the budget')
