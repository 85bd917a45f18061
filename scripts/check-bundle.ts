/**
 * `npm run bundle`: builds the deployable bundle into dist/ and fails when it is larger
 * than the gzip budget. Part of `npm test`.
 */
import { readFileSync } from 'node:fs'
import { buildBundle, GZIP_BUDGET_BYTES, gzipBytes } from './bundle.ts'

const script = buildBundle('dist')
// The test suites' cheap password hasher (src/crypto/passwords.ts `useMinimumPasswordHashCost`)
// is called from test code only, so the bundle must leave it out, parameters and all.
if (/memoryKiB:8,iterations:1\b/.test(readFileSync(script, 'utf8'))) {
  console.error(`${script}: contains the test suites' minimum-cost password hash parameters`)
  process.exit(1)
}
const size = gzipBytes(script)
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
if (size >= GZIP_BUDGET_BYTES) {
  console.error(`${script}: ${kib(size)} gzipped, over the ${kib(GZIP_BUDGET_BYTES)} budget`)
  process.exit(1)
}
console.log(`${script}: ${kib(size)} gzipped (budget ${kib(GZIP_BUDGET_BYTES)})`)
