import { afterEach, describe, expect, it, vi } from 'vitest'
import { FetchRefused, fetchPublicJson, publicUrlProblem } from './public-fetch.ts'

const LIMITS = { maxBytes: 5120, timeoutMs: 5000 }
const URL_OK = 'https://client.example.org/oauth/metadata.json'

afterEach(() => {
  vi.unstubAllGlobals()
})

/** Serves every outbound fetch with `respond`, keeping what was asked. */
function serve(respond: (request: Request, init: RequestInit | undefined) => Response | Promise<Response>) {
  const calls: { request: Request; init: RequestInit | undefined }[] = []
  vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
    const request = new Request(input, init)
    calls.push({ request, init })
    return respond(request, init)
  })
  return calls
}

const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json', ...headers } })

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(FetchRefused)
  return (error as FetchRefused).message
}

describe('publicUrlProblem: which URLs are never fetched', () => {
  it.each([
    ['http://client.example.org/doc', 'https'],
    ['https://user:pass@client.example.org/doc', 'user name'],
    ['https://user@client.example.org/doc', 'user name'],
    ['https://localhost/doc', 'single label'],
    ['https://app.localhost/doc', 'local name'],
    ['https://localhost./doc', 'single label'],
    ['https://printer.local/doc', 'local name'],
    ['https://metadata.google.internal/doc', 'local name'],
    ['https://router.home.arpa/doc', 'local name'],
    ['https://intranet/doc', 'single label'],
    ['https://127.0.0.1/doc', 'IPv4'],
    ['https://127.1/doc', 'IPv4'],
    ['https://2130706433/doc', 'IPv4'],
    ['https://0x7f000001/doc', 'IPv4'],
    ['https://10.1.2.3/doc', 'IPv4'],
    ['https://172.16.0.1/doc', 'IPv4'],
    ['https://172.31.255.255/doc', 'IPv4'],
    ['https://192.168.1.1/doc', 'IPv4'],
    ['https://169.254.169.254/latest/meta-data', 'IPv4'],
    ['https://100.64.0.1/doc', 'IPv4'],
    ['https://0.0.0.0/doc', 'IPv4'],
    ['https://224.0.0.1/doc', 'IPv4'],
    ['https://255.255.255.255/doc', 'IPv4'],
    ['https://198.18.0.1/doc', 'IPv4'],
    ['https://[::1]/doc', 'IPv6'],
    ['https://[::]/doc', 'IPv6'],
    ['https://[fe80::1]/doc', 'IPv6'],
    ['https://[fc00::1]/doc', 'IPv6'],
    ['https://[fd12:3456::1]/doc', 'IPv6'],
    ['https://[ff02::1]/doc', 'IPv6'],
    ['https://[::ffff:127.0.0.1]/doc', 'IPv6'],
    ['https://[::ffff:10.0.0.1]/doc', 'IPv6'],
    ['https://[::ffff:169.254.169.254]/doc', 'IPv6'],
    ['https://[64:ff9b::192.168.0.1]/doc', 'IPv6'],
    ['https://[2001:db8::1]/doc', 'IPv6'],
    ['https://[2002:7f00:1::]/doc', 'IPv6'],
    ['https://[2001::1]/doc', 'IPv6'],
    ['https://[::127.0.0.1]/doc', 'IPv6'],
    // Empty labels: a second trailing dot is not the fully qualified name, and must not slip past.
    ['https://localhost../doc', 'empty label'],
    ['https://127.0.0.1../doc', 'empty label'],
    ['https://client.example.org../doc', 'empty label'],
    ['https://a..example.org/doc', 'empty label'],
    ['https://.example.org/doc', 'empty label'],
    ['https://10.0.0.1./doc', 'IPv4'],
    ['https://printer.1../doc', 'empty label'],
    // Special-use and private top-level names, also fully qualified.
    ['https://nas.lan/doc', 'local name'],
    ['https://nas.lan./doc', 'local name'],
    ['https://fritz.box/doc', 'local name'],
    ['https://api.default.svc/doc', 'local name'],
    ['https://api.default.svc.cluster.local/doc', 'local name'],
    ['https://vault.internal./doc', 'local name'],
    ['https://router.home.arpa./doc', 'local name'],
    ['https://printer.local./doc', 'local name'],
    ['https://app.localhost./doc', 'local name'],
    ['https://client.test/doc', 'local name'],
    ['https://client.invalid/doc', 'local name'],
    ['https://client.example/doc', 'local name'],
    ['https://hidden.onion/doc', 'local name'],
    ['https://wiki.corp/doc', 'local name'],
    ['https://nas.home/doc', 'local name'],
    ['https://portal.intranet/doc', 'local name'],
    ['https://db.private/doc', 'local name'],
    ['https://host.localdomain/doc', 'local name'],
    ['https://1.0.0.127.in-addr.arpa/doc', 'local name'],
  ])('%s is refused (%s)', (url, reason) => {
    expect(publicUrlProblem(new URL(url))).toContain(reason)
  })

  it.each([
    'https://client.example.org/doc',
    'https://client.example.org:8443/doc',
    'https://8.8.8.8/doc',
    'https://172.32.0.1/doc',
    'https://[2606:4700:4700::1111]/doc',
    'https://[::ffff:8.8.8.8]/doc',
    'https://xn--bcher-kva.ch/doc',
    // One trailing dot is the same public name.
    'https://client.example.org./doc',
    // A special-use word as a label inside a public name is not a special-use name.
    'https://local.example.org/doc',
    'https://lan.example.com/doc',
    'https://box.example.net/doc',
  ])('%s may be fetched', (url) => {
    expect(publicUrlProblem(new URL(url))).toBeNull()
  })
})

describe('fetchPublicJson', () => {
  it('GETs with redirect manual, an abort signal, Accept JSON and no credentials; returns the JSON and its freshness', async () => {
    const calls = serve(() => json({ client_id: URL_OK }, { 'Cache-Control': 'public, max-age=600', Age: '100' }))
    expect(await fetchPublicJson(URL_OK, LIMITS)).toEqual({ body: { client_id: URL_OK }, freshFor: 500 })
    expect(calls).toHaveLength(1)
    const { request, init } = calls[0]
    expect(request.method).toBe('GET')
    expect(init?.redirect).toBe('manual')
    expect(init?.signal).toBeInstanceOf(AbortSignal)
    expect(request.headers.get('Accept')).toBe('application/json')
    expect(request.headers.get('Cookie')).toBeNull()
    expect(request.headers.get('Authorization')).toBeNull()
  })

  it('freshness: no-store and no-cache are 0, no header is null, a +json type is JSON', async () => {
    serve(() => json({}, { 'Cache-Control': 'no-store' }))
    expect((await fetchPublicJson(URL_OK, LIMITS)).freshFor).toBe(0)
    serve(() => json({}, { 'Cache-Control': 'max-age=60, no-cache' }))
    expect((await fetchPublicJson(URL_OK, LIMITS)).freshFor).toBe(0)
    serve(() => new Response('{}', { headers: { 'Content-Type': 'application/client-metadata+json; charset=utf-8' } }))
    expect(await fetchPublicJson(URL_OK, LIMITS)).toEqual({ body: {}, freshFor: null })
  })

  it('a refused URL is never fetched', async () => {
    const calls = serve(() => json({}))
    expect(await refusal(fetchPublicJson('https://10.0.0.1/doc', LIMITS))).toContain('IPv4')
    expect(await refusal(fetchPublicJson('not a url', LIMITS))).toBe('Not a URL.')
    expect(calls).toHaveLength(0)
  })

  it('a redirect is refused, not followed (draft-ietf-oauth-client-id-metadata-document "Client Information Discovery")', async () => {
    const calls = serve(() => new Response(null, { status: 302, headers: { Location: 'https://127.0.0.1/doc' } }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('redirect (302)')
    expect(calls).toHaveLength(1)
  })

  it('a status other than 200 is refused', async () => {
    serve(() => new Response('{}', { status: 404, headers: { 'Content-Type': 'application/json' } }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('404')
    serve(() => new Response('{}', { status: 203, headers: { 'Content-Type': 'application/json' } }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('203')
  })

  it('a body that is not JSON, or not served as JSON, is refused', async () => {
    serve(() => new Response('<html></html>', { headers: { 'Content-Type': 'text/html' } }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('application/json')
    serve(() => new Response('{"client_id":', { headers: { 'Content-Type': 'application/json' } }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('not valid JSON')
    serve(() => new Response(new Uint8Array([0x7b, 0xff, 0x7d]), { headers: { 'Content-Type': 'application/json' } }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('not valid JSON')
  })

  it('a declared Content-Length over the limit is refused unread', async () => {
    serve(() => json({ padding: 'x'.repeat(6000) }))
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('larger than 5120 bytes')
  })

  it('an endless streamed body is cut off just past the limit, its stream cancelled', async () => {
    let pulled = 0
    let cancelled = false
    serve(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              pulled += 1024
              controller.enqueue(new Uint8Array(1024).fill(0x20))
            },
            cancel() {
              cancelled = true
            },
          }),
          { headers: { 'Content-Type': 'application/json' } },
        ),
    )
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toContain('larger than 5120 bytes')
    expect(pulled).toBeLessThanOrEqual(8 * 1024)
    expect(cancelled).toBe(true)
  })

  it('a body of exactly the limit is accepted', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(5120 - 14) })
    expect(body.length).toBe(5120)
    serve(() => new Response(body, { headers: { 'Content-Type': 'application/json' } }))
    expect((await fetchPublicJson(URL_OK, LIMITS)).body).toEqual(JSON.parse(body))
  })

  it('a server that does not answer in time is abandoned: the fetch is aborted', async () => {
    let aborted = false
    serve(
      (_request, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => {
            aborted = true
            reject(init.signal?.reason)
          })
        }),
    )
    const started = Date.now()
    expect(await refusal(fetchPublicJson(URL_OK, { ...LIMITS, timeoutMs: 50 }))).toContain('not fetched within 0.05 s')
    expect(aborted).toBe(true)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('a network failure is a refusal, not an exception', async () => {
    serve(() => {
      throw new TypeError('Network connection lost.')
    })
    expect(await refusal(fetchPublicJson(URL_OK, LIMITS))).toBe('The document could not be fetched.')
  })
})
