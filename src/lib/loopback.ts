/**
 * @module
 * The local machine's host names: where plain http is allowed (wrangler dev, native-app
 * redirect URIs), since browsers and RFC 8252 §8.3 treat loopback as not crossing a network.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname)
}
