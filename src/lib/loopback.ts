/**
 * @module
 * The local machine's host names: where plain http is allowed (wrangler dev, native-app
 * redirect URIs), since browsers and RFC 8252 §8.3 treat loopback as not crossing a network.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])
// 127.0.0.0/8, as the URL parser writes IPv4 hosts (127.1 becomes 127.0.0.1).
const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

/** `hostname` as URL.hostname gives it. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || LOOPBACK_IPV4.test(hostname)
}
