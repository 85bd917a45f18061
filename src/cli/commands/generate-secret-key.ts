/**
 * @module
 * `manage generate-secret-key`: prints a new SECRET_KEY (50 random characters, as Django's
 * get_random_secret_key) on stdout, so it can be piped straight into `wrangler secret put`.
 */
import { randomString } from '../../crypto/random.ts'
import type { Command } from './command.ts'

export const generateSecretKey: Command = {
  usage:
    'generate-secret-key   (a new SECRET_KEY: npm run -s manage -- generate-secret-key | npx wrangler secret put SECRET_KEY)',
  options: {},
  offline: true,
  async run() {
    console.log(randomString(50))
  },
}
