/**
 * The MCP endpoint (/mcp) as a client of MCP 2026-07-28 sees it: no `initialize` handshake and no
 * session; every request carries its protocol version and client capabilities in `_meta`, and
 * mirrors its method (and the tool's name) in the `Mcp-Method` / `Mcp-Name` headers (SEP-2575,
 * SEP-2243). The endpoint tells the revisions apart per request; the 2025 rules are in
 * mcp-endpoint.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { api } from '../helpers.ts'
import { bearerParams, expectInsufficientScope, expectRpcError, MCP_METADATA, mcp, mcpToken, rpcAnswer } from './mcp.ts'

const VERSION = '2026-07-28'
const SUPPORTED = ['2026-07-28', '2025-11-25', '2025-06-18']
const SERVER_INFO = { name: 'edge-oauth-toolkit', title: 'Edge OAuth Toolkit', version: '0.1.0' }
const PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion'
const CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities'
const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo'
const META = {
  [PROTOCOL_VERSION]: VERSION,
  [CLIENT_CAPABILITIES]: {},
  [CLIENT_INFO]: { name: 'test client', version: '1.0.0' },
}
/** Results of tools/list and server/discover: their list changes only with a deploy (SEP-2549). */
const CACHE_HINTS = { ttlMs: 3_600_000, cacheScope: 'public' }
const HEADER_MISMATCH = -32020
const UNSUPPORTED_VERSION = -32022

type Call = {
  id?: string | number
  /** The request's `params` without `_meta`; `_meta` is META unless `meta` says otherwise. */
  params?: Record<string, unknown>
  /** The `_meta` sent; null: none. */
  meta?: Record<string, unknown> | null
  /** Headers replacing the ones a 2026-07-28 client sends; undefined: left out. */
  headers?: Record<string, string | undefined>
}

/** The headers a 2026-07-28 client sends for `method` (SEP-2243), with `params.name` as Mcp-Name. */
function standardHeaders(method: string, params: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': method }
  if (method === 'tools/call' && typeof params.name === 'string') headers['Mcp-Name'] = params.name
  return headers
}

/** A 2026-07-28 request for `method`, as the v2 SDK's client sends it, with `call`'s changes. */
function modern(token: string, method: string, call: Call = {}) {
  const params = call.params ?? {}
  const meta = call.meta === undefined ? META : call.meta
  const headers: Record<string, string> = standardHeaders(method, params)
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    for (const existing of Object.keys(headers))
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing]
    if (value !== undefined) headers[name] = value
  }
  const body = { jsonrpc: '2.0', id: call.id ?? 1, method, params: meta === null ? params : { ...params, _meta: meta } }
  return mcp({ token, headers, body: JSON.stringify(body) })
}

let readToken: Promise<string> | undefined
function token() {
  readToken ??= mcpToken('read')
  return readToken
}

const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

describe('MCP 2026-07-28 (SEP-2575): every request carries its version; no handshake, no session', () => {
  it('server/discover: the versions spoken here, the tools capability, serverInfo in _meta, caching hints', async () => {
    const response = await modern(await token(), 'server/discover', { id: 'discover-1' })
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(response.headers.get('Mcp-Session-Id')).toBeNull()
    expect(await rpcAnswer(response)).toEqual({
      jsonrpc: '2.0',
      id: 'discover-1',
      result: {
        resultType: 'complete',
        supportedVersions: SUPPORTED,
        capabilities: { tools: {} },
        ...CACHE_HINTS,
        _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
      },
    })
  })

  it('server/discover needs a valid token but no scope; clientInfo is optional (a SHOULD)', async () => {
    const writeOnly = await mcpToken('write')
    const { [CLIENT_INFO]: _, ...withoutClientInfo } = META
    const response = await modern(writeOnly, 'server/discover', { meta: withoutClientInfo })
    expect(response.status).toBe(200)
    expect((await rpcAnswer(response)).result?.supportedVersions).toEqual(SUPPORTED)
  })

  it('tools/list: hello and trigger_build, with resultType, caching hints and serverInfo', async () => {
    const body = await rpcAnswer(await modern(await token(), 'tools/list', { id: 2 }))
    expect(body.id).toBe(2)
    const { tools, ...rest } = body.result as { tools: { name: string; annotations: Record<string, boolean> }[] }
    expect(rest).toEqual({
      resultType: 'complete',
      ...CACHE_HINTS,
      _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
    })
    expect(tools.map((tool) => tool.name)).toEqual(['hello', 'trigger_build'])
    expect(tools[1].annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false })
  })

  it('tools/call hello answers as /api/hello does, a complete result', async () => {
    const body = await rpcAnswer(await modern(await token(), 'tools/call', { id: 3, params: { name: 'hello' } }))
    expect(body).toEqual({
      jsonrpc: '2.0',
      id: 3,
      result: {
        resultType: 'complete',
        content: [{ type: 'text', text: 'Hello, OAuth2!' }],
        isError: false,
        _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
      },
    })
  })

  it('tools/call with arguments the tool refuses is a tool execution error (isError), not a protocol error', async () => {
    const params = { name: 'hello', arguments: { who: 'x' } }
    const body = await rpcAnswer(await modern(await token(), 'tools/call', { params }))
    expect(body.error).toBeUndefined()
    expect(body.result).toMatchObject({ resultType: 'complete', isError: true })
  })

  it('an inbound Mcp-Session-Id or Last-Event-ID is ignored; no session id is minted or echoed', async () => {
    const headers = { 'Mcp-Session-Id': 'a-session-from-2025', 'Last-Event-ID': '42' }
    const response = await modern(await token(), 'tools/list', { headers })
    expect(response.status).toBe(200)
    expect(response.headers.get('Mcp-Session-Id')).toBeNull()
  })

  it('GET and DELETE are 405 with Allow: POST (Streamable HTTP › Backward Compatibility)', async () => {
    const value = await token()
    for (const method of ['GET', 'DELETE']) {
      const response = await mcp({ method, token: value, headers: { 'MCP-Protocol-Version': VERSION } })
      expect(response.headers.get('Allow')).toBe('POST')
      await expectRpcError(response, 405, -32000)
    }
  })

  it('a notification is accepted with 202; a JSON-RPC response is refused (clients MUST NOT send one)', async () => {
    const value = await token()
    const headers = { 'MCP-Protocol-Version': VERSION }
    const notification = await mcp({
      token: value,
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }),
    })
    expect(notification.status).toBe(202)
    expect(await notification.text()).toBe('')
    for (const message of [
      { jsonrpc: '2.0', id: 7, result: {} },
      { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'Method not found' } },
    ]) {
      await expectRpcError(await mcp({ token: value, headers, body: JSON.stringify(message) }), 400, -32600)
    }
  })

  it('a batch is refused with 400 -32600, as in the 2025 revisions', async () => {
    const batch = [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: META } }]
    const headers = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'tools/list' }
    await expectRpcError(await mcp({ token: await token(), headers, body: JSON.stringify(batch) }), 400, -32600)
  })
})

describe('MCP 2026-07-28 Basic › Versioning: the version of each request', () => {
  it('UnsupportedProtocolVersion: 400, -32022, the request id, and data naming what is supported and what was asked', async () => {
    for (const version of ['v999.0.0', '2024-11-05', '2026-01-01']) {
      const response = await modern(await token(), 'server/discover', {
        id: 301,
        meta: { ...META, [PROTOCOL_VERSION]: version },
        headers: { 'MCP-Protocol-Version': version },
      })
      const error = await expectRpcError(response, 400, UNSUPPORTED_VERSION, 301)
      expect(error?.data).toEqual({ supported: SUPPORTED, requested: version })
    }
  })

  it('HeaderMismatch: MCP-Protocol-Version and the _meta version differ → 400, -32020, the request id', async () => {
    for (const [header, envelope] of [
      [VERSION, 'v999.0.0'],
      [VERSION, '2025-11-25'],
      ['2025-11-25', VERSION],
    ]) {
      const response = await modern(await token(), 'server/discover', {
        id: 302,
        meta: { ...META, [PROTOCOL_VERSION]: envelope },
        headers: { 'MCP-Protocol-Version': header },
      })
      const error = await expectRpcError(response, 400, HEADER_MISMATCH, 302)
      expect(error?.message).toContain('MCP-Protocol-Version')
    }
  })

  it('HeaderMismatch: a _meta version without the MCP-Protocol-Version header (required on every POST)', async () => {
    const response = await modern(await token(), 'tools/list', {
      id: 303,
      headers: { 'MCP-Protocol-Version': undefined },
    })
    await expectRpcError(response, 400, HEADER_MISMATCH, 303)
  })

  it('-32602 with 400: a 2026-07-28 request whose _meta lacks a required field or has the wrong type', async () => {
    const { [PROTOCOL_VERSION]: _, ...noVersion } = META
    const { [CLIENT_CAPABILITIES]: __, ...noCapabilities } = META
    const cases: (Record<string, unknown> | null)[] = [
      null,
      noVersion,
      noCapabilities,
      { ...META, [CLIENT_CAPABILITIES]: 'all' },
      { ...META, [CLIENT_INFO]: 'me' },
      { ...META, [PROTOCOL_VERSION]: 20260728 },
    ]
    for (const [index, meta] of cases.entries()) {
      const response = await modern(await token(), 'server/discover', { id: 100 + index, meta })
      await expectRpcError(response, 400, -32602, 100 + index)
    }
    // No params at all.
    const bare = await mcp({
      token: await token(),
      headers: { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'bare', method: 'tools/list' }),
    })
    await expectRpcError(bare, 400, -32602, 'bare')
  })

  it('404 with -32601 and the request id: the methods 2026-07-28 removed, and unknown ones', async () => {
    for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/list', 'nope']) {
      await expectRpcError(await modern(await token(), method, { id: method }), 404, -32601, method)
    }
  })
})

describe('SEP-2243: Mcp-Method and Mcp-Name mirror the body; any disagreement is 400 HeaderMismatch (-32020)', () => {
  const call = { params: { name: 'hello' } }

  it('Mcp-Method missing, different, or of another case', async () => {
    for (const method of [undefined, 'prompts/list', 'TOOLS/LIST']) {
      const response = await modern(await token(), 'tools/list', { id: 9, headers: { 'Mcp-Method': method } })
      await expectRpcError(response, 400, HEADER_MISMATCH, 9)
    }
  })

  it('header names in any case, and whitespace around a value, are accepted', async () => {
    for (const headers of [
      { 'mcp-method': 'tools/list' },
      { 'MCP-METHOD': 'tools/list' },
      { 'Mcp-Method': '  tools/list\t' },
    ]) {
      expect((await modern(await token(), 'tools/list', { headers })).status).toBe(200)
    }
    expect((await modern(await token(), 'tools/call', { ...call, headers: { 'Mcp-Name': '  hello  ' } })).status).toBe(
      200,
    )
  })

  it('Mcp-Name for tools/call: missing, different, or present when the body names no tool', async () => {
    for (const name of [undefined, 'trigger_build', 'HELLO']) {
      const response = await modern(await token(), 'tools/call', { ...call, id: 10, headers: { 'Mcp-Name': name } })
      await expectRpcError(response, 400, HEADER_MISMATCH, 10)
    }
    const nameless = await modern(await token(), 'tools/call', { id: 11, params: {}, headers: { 'Mcp-Name': 'hello' } })
    await expectRpcError(nameless, 400, HEADER_MISMATCH, 11)
  })

  it('Mcp-Name in the Base64 sentinel form is decoded before the comparison; a malformed one is refused', async () => {
    const encoded = await modern(await token(), 'tools/call', {
      ...call,
      headers: { 'Mcp-Name': `=?base64?${base64('hello')}?=` },
    })
    expect(encoded.status).toBe(200)
    for (const value of [
      `=?base64?${base64('trigger_build')}?=`,
      '=?base64?aGVsbG8?=',
      '=?base64?aGVs!!!bG8=?=',
      '=?base64??=',
      `=?BASE64?${base64('hello')}?=`,
    ]) {
      const response = await modern(await token(), 'tools/call', { ...call, id: 12, headers: { 'Mcp-Name': value } })
      await expectRpcError(response, 400, HEADER_MISMATCH, 12)
    }
    // Without both markers the value is literal, and this one is not the tool's name.
    const literal = await modern(await token(), 'tools/call', { ...call, headers: { 'Mcp-Name': base64('hello') } })
    expect(literal.status).toBe(400)
  })

  it('a value that is not visible ASCII is refused (RFC 9110 §5.5)', async () => {
    const response = await modern(await token(), 'tools/call', { ...call, headers: { 'Mcp-Name': 'hel\u007flo' } })
    await expectRpcError(response, 400, HEADER_MISMATCH, 1)
  })
})

describe('MCP 2026-07-28 authorization: scopes per tool, step-up (SEP-2350)', () => {
  it('SEP-2207: offline_access is the authorization server’s to offer, never the resource’s to require', async () => {
    const server = await (await api('/.well-known/oauth-authorization-server')).json<{ scopes_supported: string[] }>()
    expect(server.scopes_supported).toContain('offline_access')
    const resource = await (await api(MCP_METADATA)).json<{ scopes_supported: string[] }>()
    expect(resource.scopes_supported).toEqual(['read'])
    const challenge = await modern('', 'server/discover')
    expect(challenge.status).toBe(401)
    expect(bearerParams(challenge).scope).toBe('read')
  })

  it('tools/list needs `read`: a write-only token gets 403 insufficient_scope naming it', async () => {
    const response = await modern(await mcpToken('write'), 'tools/list')
    await expectInsufficientScope(response, 'read')
  })

  it('trigger_build needs `write`: 403 insufficient_scope with scope="write", never offline_access (SEP-2207); with it, a result', async () => {
    const refused = await modern(await token(), 'tools/call', { params: { name: 'trigger_build' } })
    await expectInsufficientScope(refused, 'write')
    const wider = await mcpToken('read write offline_access')
    const body = await rpcAnswer(await modern(wider, 'tools/call', { id: 5, params: { name: 'trigger_build' } }))
    expect(body.result).toEqual({
      resultType: 'complete',
      content: [{ type: 'text', text: 'Build triggered.' }],
      isError: false,
      _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
    })
  })

  it('-32602 with HTTP 200: an unknown tool, a cursor never handed out', async () => {
    const unknown = await modern(await token(), 'tools/call', { id: 6, params: { name: 'nope' } })
    await expectRpcError(unknown, 200, -32602, 6)
    const cursor = await modern(await token(), 'tools/list', { id: 7, params: { cursor: 'next' } })
    await expectRpcError(cursor, 200, -32602, 7)
  })
})
