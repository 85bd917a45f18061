/**
 * Where a new grant goes (./shards.ts): the bindings read from their names, the deployer's routes,
 * the nearest shard from request.cf, and the numbers pages show for a shard's rows.
 */
import { describe, expect, it } from 'vitest'
import { chooseShard, parseShardRoutes, parseTokenId, publicTokenId, shardBindings } from './shards.ts'

const SHARDS = shardBindings(['DB', 'TOKEN_SHARD_1_ENAM', 'TOKEN_SHARD_2_WEUR', 'TOKEN_SHARD_3_OC', 'TOKEN_CACHE'])
const NONE = new Map<string, number[]>()

// request.cf as Cloudflare fills it for a client in each city.
const SYDNEY = { colo: 'SYD', country: 'AU', continent: 'OC', latitude: '-33.86780', longitude: '151.20730' }
const FRANKFURT = { colo: 'FRA', country: 'DE', continent: 'EU', latitude: '50.11090', longitude: '8.68210' }
const NEW_YORK = { colo: 'EWR', country: 'US', continent: 'NA', latitude: '40.71280', longitude: '-74.00600' }
const TOKYO = { colo: 'NRT', country: 'JP', continent: 'AS', latitude: '35.68950', longitude: '139.69170' }

describe('token shard bindings', () => {
  it('are read from their names: TOKEN_SHARD_<n>[_<LOCATION>], by number', () => {
    expect(SHARDS).toEqual([
      { shard: 1, binding: 'TOKEN_SHARD_1_ENAM', location: 'enam' },
      { shard: 2, binding: 'TOKEN_SHARD_2_WEUR', location: 'weur' },
      { shard: 3, binding: 'TOKEN_SHARD_3_OC', location: 'oc' },
    ])
    expect(shardBindings(['TOKEN_SHARD_12'])).toEqual([{ shard: 12, binding: 'TOKEN_SHARD_12', location: null }])
    expect(shardBindings(['DB'])).toEqual([])
  })

  it.each([
    ['TOKEN_SHARD_0', /TOKEN_SHARD_<1–3843>/],
    ['TOKEN_SHARD_3844', /TOKEN_SHARD_<1–3843>/],
    ['TOKEN_SHARD_01', /TOKEN_SHARD_<1–3843>/],
    ['TOKEN_SHARD_X', /TOKEN_SHARD_<1–3843>/],
    ['TOKEN_SHARD_4_MARS', /unknown location MARS/],
  ])('refuse %s', (name, message) => {
    expect(() => shardBindings([name])).toThrow(message)
  })

  it('refuse one number bound twice', () => {
    expect(() => shardBindings(['TOKEN_SHARD_2_WEUR', 'TOKEN_SHARD_2'])).toThrow(/shard 2 is also TOKEN_SHARD_2_WEUR/)
  })
})

describe('the shard of a new grant', () => {
  it('is the nearest one by the client’s coordinates', () => {
    expect(chooseShard(SHARDS, NONE, SYDNEY)).toBe(3)
    expect(chooseShard(SHARDS, NONE, FRANKFURT)).toBe(2)
    expect(chooseShard(SHARDS, NONE, NEW_YORK)).toBe(1)
    // No shard in Asia: Sydney is nearer to Tokyo than Amsterdam or Virginia are.
    expect(chooseShard(SHARDS, NONE, TOKYO)).toBe(3)
  })

  it('is the nearest one to the client’s continent when request.cf has no coordinates', () => {
    expect(chooseShard(SHARDS, NONE, { continent: 'OC' })).toBe(3)
    expect(chooseShard(SHARDS, NONE, { continent: 'EU', latitude: 'unknown' })).toBe(2)
    expect(chooseShard(SHARDS, NONE, { continent: 'SA' })).toBe(1)
  })

  it('is any shard, evenly, when nothing places the client (no request.cf, as in local dev)', () => {
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 3000; i++) counts[chooseShard(SHARDS, NONE, undefined)]++
    expect(counts[0]).toBe(0)
    for (const count of counts.slice(1)) expect(count).toBeGreaterThan(850)
  })

  it('is one of the equally near shards at random: shards created with one location hint share its load', () => {
    const twoInOceania = shardBindings(['TOKEN_SHARD_1_ENAM', 'TOKEN_SHARD_5_OC', 'TOKEN_SHARD_6_OC'])
    expect(chooseShard(twoInOceania, NONE, SYDNEY, () => 0)).toBe(5)
    expect(chooseShard(twoInOceania, NONE, SYDNEY, () => 0.99)).toBe(6)
  })

  it('is the main database (shard 0) when no token shard is bound: the single-database setup', () => {
    expect(chooseShard([], NONE, SYDNEY)).toBe(0)
  })

  it('follows the deployer’s routes first: colo, then country, then continent, then *', () => {
    const routes = parseShardRoutes('colo:SYD=1 country:AU=2 continent:OC=0 *=2,3', [1, 2, 3])
    expect(chooseShard(SHARDS, routes, SYDNEY)).toBe(1)
    expect(chooseShard(SHARDS, routes, { ...SYDNEY, colo: 'MEL' })).toBe(2)
    expect(chooseShard(SHARDS, routes, { ...SYDNEY, colo: 'AKL', country: 'NZ' })).toBe(0)
    expect(chooseShard(SHARDS, routes, FRANKFURT, () => 0)).toBe(2)
    expect(chooseShard(SHARDS, routes, FRANKFURT, () => 0.9)).toBe(3)
  })

  it.each([
    ['continent:XX=1', /not <colo/],
    ['colo:SYD', /not <colo/],
    ['colo:SYD=4', /no token shard bound as 4/],
    ['colo:SYD=1,x', /no token shard bound as 1,x/],
    ['*=1 *=2', /\* is routed twice/],
  ])('routes: %s is refused', (value, message) => {
    expect(() => parseShardRoutes(value, [1, 2, 3])).toThrow(message)
  })
})

describe('the number a page shows for a token', () => {
  it('names its shard and its row, and nothing else reads as one', () => {
    expect(publicTokenId(3, 17)).toBe(170003)
    expect(parseTokenId(170003)).toEqual({ shard: 3, id: 17 })
    expect(parseTokenId(publicTokenId(0, 1))).toEqual({ shard: 0, id: 1 })
    for (const value of [0, 17, 9999, -170003, 1.5, Number.MAX_SAFE_INTEGER + 1]) expect(parseTokenId(value)).toBeNull()
  })
})
