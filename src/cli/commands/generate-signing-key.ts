/**
 * @module
 * `manage generate-signing-key [--alg RS256|ES256]`: prints a new private key for the
 * OIDC_SIGNING_KEYS secret as a JWK set on one line (stdout), the instructions on stderr,
 * so the output can be piped straight into `wrangler secret put`.
 */
import { generateSigningKeySet, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../crypto/signing-keys.ts'
import type { Command } from './command.ts'

export const generateSigningKey: Command = {
  usage: 'generate-signing-key [--alg RS256|ES256]',
  options: { alg: { type: 'string', default: 'RS256' } },
  offline: true,
  async run(values) {
    const alg = values.alg as SigningAlgorithm
    if (!SIGNING_ALGORITHMS.includes(alg)) throw new Error(`--alg must be one of: ${SIGNING_ALGORITHMS.join(', ')}`)
    console.log(await generateSigningKeySet([alg]))
    const first =
      alg === 'RS256'
        ? `A first key for a new deployment can be piped straight in:
  npm run -s manage -- generate-signing-key | npx wrangler secret put OIDC_SIGNING_KEYS\n`
        : 'An ES256 key is added to a set that already holds an RS256 key (OIDC Discovery §3 requires RS256).\n'
    console.error(`
Above: a new ${alg} private key as a JWK set (keep it secret).
${first}To rotate or add a key: append its object to the END of your current set's "keys" array (the last
key of each algorithm signs; all are published), then \`npx wrangler secret put OIDC_SIGNING_KEYS\` with the
whole set. Remove an old key only after the id_tokens it signed have expired (ID_TOKEN_EXPIRE_SECONDS).`)
  },
}
