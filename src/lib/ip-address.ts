/**
 * @module
 * IP address text forms, parsed once for the modules that reason about addresses: the rate
 * limits (an address's counting key) and the outbound fetch of documents named by clients
 * (which addresses may never be fetched).
 */

/** The eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms), or null. */
export function ipv6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, '')
  // A trailing dotted quad stands for the last two groups.
  const dotted = /(?<=:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (dotted) {
    const octets = dotted.slice(1).map(Number)
    if (octets.some((octet) => octet > 255)) return null
    const high = ((octets[0] << 8) | octets[1]).toString(16)
    const low = ((octets[2] << 8) | octets[3]).toString(16)
    text = `${text.slice(0, dotted.index)}${high}:${low}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parse = (half: string) => (half === '' ? [] : half.split(':'))
  const left = parse(halves[0])
  const right = halves.length === 2 ? parse(halves[1]) : []
  const missing = 8 - left.length - right.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right]
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null
  return groups.map((group) => Number.parseInt(group, 16))
}
