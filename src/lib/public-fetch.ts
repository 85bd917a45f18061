/**
 * @module
 * The one outbound fetch of a URL that a stranger chose (a client ID metadata document,
 * src/oauth/client-metadata-document.ts): a small JSON document from a public https server, or
 * a refusal that says why. Server-side request forgery is the risk, so:
 *
 * - https only; no user name or password in the URL; the host is neither an IP address in a
 *   special-use range (RFC 6890: private, loopback, link-local, CGNAT, ULA, multicast,
 *   documentation, reserved; IPv4, IPv6 and IPv4 inside IPv6) nor a name that only a local
 *   resolver answers (`localhost` and `*.localhost`, `.local`, `.internal`, `.home.arpa`, `.lan`,
 *   `.svc`, … (LOCAL_SUFFIXES), or a single label); a name with an empty label (`localhost..`)
 *   is refused, not guessed at (a name ending in a number never gets here: the URL parser reads
 *   it as an IPv4 address or refuses it).
 * - Redirects are not followed (`redirect: 'manual'`): a 3xx is a refusal, so a public URL
 *   cannot bounce the fetch to a private one.
 * - Only `200` with a JSON content type; the body is read as a stream and the read stops past
 *   `maxBytes` (a `Content-Length` over it is refused unread); the whole exchange, body
 *   included, is aborted after `timeoutMs`.
 * - Nothing identifies or authenticates this server: no cookies (a Worker's fetch has no cookie
 *   jar), no `Authorization`, only `Accept`.
 *
 * What the platform adds, and what is left to these checks:
 * - **Deployed on Workers**, fetch leaves from Cloudflare's edge onto the public Internet:
 *   private, loopback and link-local networks are not reachable from there, whatever a DNS name
 *   resolves to, and Cloudflare refuses a URL whose host is an IP address (error 1003).
 *   `global_fetch_strictly_public` (wrangler.toml) also sends a fetch of a host on the Worker's
 *   own zone through Cloudflare's front door like anyone's, not straight to that zone's origin
 *   past its WAF or Access rules.
 * - **Self-hosted workerd** filters the addresses a name resolves to at connect time: its
 *   `internet` service allows only public addresses unless configured otherwise.
 * - **`wrangler dev` (Miniflare)** allows private and local addresses on purpose. The checks here
 *   stop IP literals and local names, but a public DNS name that resolves to 127.0.0.1 or
 *   10.0.0.1 is NOT checked: resolving it ourselves (DNS-over-HTTPS) would not protect, since
 *   the runtime resolves again when it connects (DNS rebinding), and would add a third party to
 *   every fetch. Leave CLIENT_ID_METADATA_DOCUMENTS off on a development machine whose local
 *   services matter, or run workerd with its default network policy.
 */
import { ipv6Groups } from './ip-address.ts'

/** Why a document was not fetched or not accepted; the message is shown to the client's user. */
export class FetchRefused extends Error {}

export type PublicDocument = {
  /** The parsed JSON value. */
  body: unknown
  /**
   * Seconds the response may be used (RFC 9111 §4.2.1: max-age less Age); 0 for no-store or
   * no-cache; null when the response says nothing.
   */
  freshFor: number | null
}

// Names no public resolver answers for, so they can only mean something on a local network or to
// a local resolver: the special-use names of RFC 6761 (localhost, test, invalid, example), RFC 6762
// (local), RFC 7686 (onion), RFC 8375 (home.arpa), RFC 9476 (alt) and ICANN's internal; the
// infrastructure TLD arpa (reverse-lookup names); and the private TLDs in common use that RFC 6762
// Appendix G lists or that devices answer for (lan, home, corp, intranet, private, localdomain;
// svc for Kubernetes services, box for home routers such as fritz.box).
const LOCAL_SUFFIXES = [
  'localhost',
  'local',
  'internal',
  'home.arpa',
  'arpa',
  'test',
  'invalid',
  'example',
  'onion',
  'alt',
  'lan',
  'home',
  'corp',
  'intranet',
  'private',
  'localdomain',
  'svc',
  'box',
]

// IPv4 special-use blocks (RFC 6890 and its registry), [first octets..., prefix length].
const IPV4_BLOCKED: [number, number, number, number, number][] = [
  [0, 0, 0, 0, 8], // "this network"
  [10, 0, 0, 0, 8], // private
  [100, 64, 0, 0, 10], // shared address space (CGNAT)
  [127, 0, 0, 0, 8], // loopback
  [169, 254, 0, 0, 16], // link-local (cloud metadata services live here)
  [172, 16, 0, 0, 12], // private
  [192, 0, 0, 0, 24], // IETF protocol assignments
  [192, 0, 2, 0, 24], // documentation
  [192, 88, 99, 0, 24], // 6to4 relay anycast
  [192, 168, 0, 0, 16], // private
  [198, 18, 0, 0, 15], // benchmarking
  [198, 51, 100, 0, 24], // documentation
  [203, 0, 113, 0, 24], // documentation
  [224, 0, 0, 0, 4], // multicast
  [240, 0, 0, 0, 4], // reserved, and the broadcast address
]

function ipv4Value(octets: number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0
}

function isBlockedIpv4(octets: number[]): boolean {
  const value = ipv4Value(octets)
  return IPV4_BLOCKED.some(([a, b, c, d, bits]) => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    return (value & mask) >>> 0 === (ipv4Value([a, b, c, d]) & mask) >>> 0
  })
}

/** IPv6: only global unicast (2000::/3) outside its special-use blocks; embedded IPv4 by IPv4's rules. */
function isBlockedIpv6(groups: number[]): boolean {
  const embedded = [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff]
  // ::ffff:a.b.c.d (IPv4-mapped) and 64:ff9b::a.b.c.d (NAT64, RFC 6052) reach that IPv4 address.
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0)
  if (mapped || nat64) return isBlockedIpv4(embedded)
  if ((groups[0] & 0xe000) !== 0x2000) return true // ::, ::1, ULA fc00::/7, link-local fe80::/10, multicast ff00::/8, …
  if (groups[0] === 0x2001 && groups[1] < 0x200) return true // 2001::/23 IETF protocol assignments (Teredo, …)
  if (groups[0] === 0x2001 && groups[1] === 0xdb8) return true // documentation
  if (groups[0] === 0x2002) return true // 6to4: an IPv4 address behind it
  return (groups[0] & 0xfff0) === 0x3ff0 // 3fff::/20 documentation (RFC 9637)
}

/**
 * Why `url` may not be fetched, or null. `url.hostname` is the URL parser's canonical form.
 */
export function publicUrlProblem(url: URL): string | null {
  if (url.protocol !== 'https:') return 'Only https URLs are fetched.'
  if (url.username !== '' || url.password !== '') return 'A URL with a user name or password is not fetched.'
  const host = url.hostname.toLowerCase()
  if (host.startsWith('[')) {
    const groups = ipv6Groups(host.slice(1, -1))
    if (!groups || isBlockedIpv6(groups)) return 'The URL names a private or special-use IPv6 address.'
    return null
  }
  // One trailing dot is the same name, fully qualified; any other empty label (`localhost..`,
  // `a..b`, `.a`) is not a DNS name, and resolvers disagree on what it means.
  const name = host.replace(/\.$/, '')
  if (name.split('.').includes('')) return 'The URL’s host has an empty label.'
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name)
  if (ipv4) {
    return isBlockedIpv4(ipv4.slice(1).map(Number)) ? 'The URL names a private or special-use IPv4 address.' : null
  }
  if (!name.includes('.')) return 'The URL’s host is a single label: only a local resolver knows it.'
  if (LOCAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) {
    return 'The URL’s host is a local name.'
  }
  return null
}

// RFC 8259 §11 application/json, or a structured +json type (RFC 6839 §3.1).
const JSON_TYPE = /^application\/([a-z0-9!#$&^_.-]+\+)?json\s*(;|$)/i

/** RFC 9111 §5.2: max-age less the response's Age; 0 when it may not be stored or reused unchecked. */
function freshness(headers: Headers): number | null {
  const directives = (headers.get('Cache-Control') ?? '').toLowerCase().split(',')
  const names = directives.map((directive) => directive.trim().split('=')[0])
  if (names.includes('no-store') || names.includes('no-cache')) return 0
  const maxAge = directives.map((directive) => /^\s*max-age\s*=\s*"?(\d+)"?\s*$/.exec(directive)).find(Boolean)
  if (!maxAge) return null
  const age = Number(/^\d+$/.exec(headers.get('Age') ?? '')?.[0] ?? 0)
  return Math.max(0, Number(maxAge[1]) - age)
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('Content-Length') ?? Number.NaN)
  if (declared > maxBytes || !response.body) {
    await response.body?.cancel()
    if (declared > maxBytes) throw new FetchRefused(`The document is larger than ${maxBytes} bytes.`)
    return new Uint8Array()
  }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw new FetchRefused(`The document is larger than ${maxBytes} bytes.`)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * GETs `url` under the rules above and parses its JSON; FetchRefused (with the reason) for a URL
 * that may not be fetched, a fetch that fails or times out, and a response that is not a 200
 * JSON document within `maxBytes`.
 */
export async function fetchPublicJson(
  url: string,
  limits: { maxBytes: number; timeoutMs: number },
): Promise<PublicDocument> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new FetchRefused('Not a URL.')
  }
  const problem = publicUrlProblem(target)
  if (problem) throw new FetchRefused(problem)
  const signal = AbortSignal.timeout(limits.timeoutMs)
  try {
    const response = await fetch(target.href, {
      method: 'GET',
      redirect: 'manual',
      headers: { Accept: 'application/json' },
      signal,
    })
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      throw new FetchRefused(`The document URL answered a redirect (${response.status}); redirects are not followed.`)
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new FetchRefused(`The document URL answered ${response.status}, not 200.`)
    }
    if (!JSON_TYPE.test(response.headers.get('Content-Type') ?? '')) {
      await response.body?.cancel()
      throw new FetchRefused('The document is not served as application/json.')
    }
    const bytes = await readCapped(response, limits.maxBytes)
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
    } catch {
      throw new FetchRefused('The document is not valid JSON.')
    }
    return { body, freshFor: freshness(response.headers) }
  } catch (error) {
    if (error instanceof FetchRefused) throw error
    if (signal.aborted) throw new FetchRefused(`The document was not fetched within ${limits.timeoutMs / 1000} s.`)
    throw new FetchRefused('The document could not be fetched.')
  }
}
