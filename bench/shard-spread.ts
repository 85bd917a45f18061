/**
 * @module
 * The shard-spread row (issue #27): grants from clients spread evenly over the token shards'
 * regions, through the real token endpoint, and how evenly the shards took them — rows and D1
 * statements per shard, max shard ÷ mean (budget ≤ 1.2) — with each shard's statements per grant
 * and the main database's (what it still carries for a grant: replicated reads of the client).
 * wrangler.toml binds 3 shards (ENAM, WEUR, OC): the grants come from New York, Frankfurt and
 * Sydney in turn (bench/routes.ts CF_HEADER). The 32-shard plan of docs/capacity.md is added as
 * the choice alone (src/tokens/shards.ts chooseShard, no I/O): 6 location hints, 5–6 shards each.
 */
import { chooseShard, shardBindings } from '../src/tokens/shards.ts'
import { counters, type Server, shardBindingNamesOf } from './harness.ts'
import { CF_HEADER } from './routes.ts'

export const SHARD_SPREAD_ROW = 'shard-spread'
/** The budget: the busiest shard takes at most this many times the mean, rows and statements alike. */
export const SPREAD_BUDGET = 1.2
const GRANTS = 3000
const CONNECTIONS = 16

// A client near each of the bench's shards, as request.cf describes it.
const PLACES = [
  { colo: 'EWR', country: 'US', continent: 'NA', latitude: '40.73', longitude: '-74.17' },
  { colo: 'FRA', country: 'DE', continent: 'EU', latitude: '50.11', longitude: '8.68' },
  { colo: 'SYD', country: 'AU', continent: 'OC', latitude: '-33.87', longitude: '151.21' },
]

type PerShard = { binding: string; grants: number; statements: number; statementsPerGrant: number }

export type ShardSpread = {
  name: string
  grants: number
  shards: PerShard[]
  /** Statements the main database (DB: replica sessions included) ran per grant. */
  mainStatementsPerGrant: number
  rowsMaxOverMean: number
  statementsMaxOverMean: number
  /** The 32-shard plan: how evenly chooseShard spreads clients spread evenly over 6 regions. */
  plan32: { shards: number; choices: number; maxOverMean: number }
  budget: number
  holds: boolean
}

const maxOverMean = (values: number[]) =>
  Math.max(...values) / (values.reduce((sum, value) => sum + value, 0) / values.length)

async function accessTokenRows(server: Server, binding: string): Promise<number> {
  const d1 = await server.mf.getD1Database(binding)
  return (await d1.prepare('SELECT count(*) AS n FROM access_tokens').first<{ n: number }>())?.n ?? 0
}

/** Counters once the Worker's background work (each grant's cache write and confirm) is over. */
async function settledCounters(server: Server) {
  let last = await counters(server)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300))
    const now = await counters(server)
    if (now.d1 === last.d1) return now
    last = now
  }
}

/** GRANTS client_credentials grants of the seeded service client, CONNECTIONS at a time. */
export async function measureShardSpread(
  server: Server,
  client: { clientId: string; clientSecret: string },
): Promise<ShardSpread> {
  const names = shardBindingNamesOf(server)
  if (names.length === 0) throw new Error('shard spread: no TOKEN_SHARD_ binding in wrangler.toml')
  const rowsBefore = await Promise.all(names.map((name) => accessTokenRows(server, name)))
  const before = await settledCounters(server)
  let next = 0
  const grant = async () => {
    while (next < GRANTS) {
      const place = PLACES[next++ % PLACES.length]
      const response = await fetch(new URL('/o/token/', server.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', [CF_HEADER]: JSON.stringify(place) },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }),
      })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`shard spread: the token endpoint answered ${response.status}`)
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, grant))
  const after = await settledCounters(server)
  const rowsAfter = await Promise.all(names.map((name) => accessTokenRows(server, name)))
  const ran = (binding: string) => (after.d1ByDatabase[binding] ?? 0) - (before.d1ByDatabase[binding] ?? 0)
  const shards = names.map((binding, index) => {
    const grants = rowsAfter[index] - rowsBefore[index]
    const statements = ran(binding)
    return { binding, grants, statements, statementsPerGrant: grants > 0 ? statements / grants : Number.NaN }
  })
  const rowsMaxOverMean = maxOverMean(shards.map((shard) => shard.grants))
  const statementsMaxOverMean = maxOverMean(shards.map((shard) => shard.statements))
  const plan32 = planSpread()
  return {
    name: 'shard spread: client_credentials grants from New York, Frankfurt and Sydney in turn',
    grants: GRANTS,
    shards,
    mainStatementsPerGrant: ran('DB') / GRANTS,
    rowsMaxOverMean,
    statementsMaxOverMean,
    plan32,
    budget: SPREAD_BUDGET,
    holds: Math.max(rowsMaxOverMean, statementsMaxOverMean, plan32.maxOverMean) <= SPREAD_BUDGET,
  }
}

// docs/capacity.md's 32 shards: 6 in each of the two North American regions, 5 in each other.
const PLAN: [string, number][] = [
  ['WNAM', 6],
  ['ENAM', 6],
  ['WEUR', 5],
  ['EEUR', 5],
  ['APAC', 5],
  ['OC', 5],
]
// A client in each region (request.cf's coordinates).
const REGION_PLACES = [
  { latitude: '37.77', longitude: '-122.42' },
  { latitude: '40.73', longitude: '-74.17' },
  { latitude: '51.51', longitude: '-0.13' },
  { latitude: '52.23', longitude: '21.01' },
  { latitude: '1.29', longitude: '103.85' },
  { latitude: '-33.87', longitude: '151.21' },
]

function planSpread(choices = 96_000) {
  let n = 0
  const names = PLAN.flatMap(([hint, count]) => Array.from({ length: count }, () => `TOKEN_SHARD_${++n}_${hint}`))
  const bound = shardBindings(names)
  const taken = new Map<number, number>()
  for (let i = 0; i < choices; i++) {
    const shard = chooseShard(bound, new Map(), REGION_PLACES[i % REGION_PLACES.length])
    taken.set(shard, (taken.get(shard) ?? 0) + 1)
  }
  return { shards: bound.length, choices, maxOverMean: maxOverMean(bound.map(({ shard }) => taken.get(shard) ?? 0)) }
}

export function shardSpreadTable(result: ShardSpread): string {
  const ratio = (value: number) => value.toFixed(3)
  return [
    `| ${result.name} | grants | D1 statements | statements per grant |`,
    '| --- | --- | --- | --- |',
    ...result.shards.map(
      (shard) =>
        `| ${shard.binding} | ${shard.grants} | ${shard.statements} | ${shard.statementsPerGrant.toFixed(2)} |`,
    ),
    `| DB (main: replica reads) | — | — | ${result.mainStatementsPerGrant.toFixed(2)} |`,
    `| max shard ÷ mean | ${ratio(result.rowsMaxOverMean)} | ${ratio(result.statementsMaxOverMean)} | budget ≤ ${result.budget} |`,
    `| 32-shard plan (choice only, ${result.plan32.choices} clients) | ${ratio(result.plan32.maxOverMean)} | | |`,
  ].join('\n')
}
