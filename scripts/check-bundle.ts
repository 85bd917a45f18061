/**
 * `npm run bundle`: builds the deployable bundle into dist/ and fails when it is larger
 * than the gzip budget. Part of `npm test`.
 */
import { buildBundle, GZIP_BUDGET_BYTES, gzipBytes } from './bundle.ts'

const script = buildBundle('dist')
const size = gzipBytes(script)
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
if (size >= GZIP_BUDGET_BYTES) {
  console.error(`${script}: ${kib(size)} gzipped, over the ${kib(GZIP_BUDGET_BYTES)} budget`)
  process.exit(1)
}
console.log(`${script}: ${kib(size)} gzipped (budget ${kib(GZIP_BUDGET_BYTES)})`)
