/**
 * A token shard's tables (./shard-schema.ts) are the main database's (./schema.ts) without the
 * references to users and applications: the same columns with the same types, constraints and
 * defaults, and every index the main database has (a shard may add one), so the queries of
 * src/tokens/ run unchanged on either.
 */
import { is, SQL } from 'drizzle-orm'
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import * as schema from './schema.ts'
import * as shardSchema from './shard-schema.ts'

const sqlText = (value: unknown) => (is(value, SQL) ? value.queryChunks.map((chunk) => JSON.stringify(chunk)) : value)

function columns(table: SQLiteTable) {
  return getTableConfig(table).columns.map((column) => ({
    name: column.name,
    type: column.getSQLType(),
    notNull: column.notNull,
    primary: column.primary,
    unique: column.isUnique,
    default: sqlText(column.default),
  }))
}

function indexes(table: SQLiteTable) {
  return getTableConfig(table).indexes.map(({ config }) => ({
    name: config.name,
    unique: config.unique,
    on: config.columns.map((column) => ('name' in column ? column.name : sqlText(column))),
    where: sqlText(config.where),
  }))
}

// Each token table as the main database and a shard describe it.
const TOKEN_TABLES = {
  accessTokens: [schema.accessTokens, shardSchema.accessTokens],
  refreshTokens: [schema.refreshTokens, shardSchema.refreshTokens],
  authorizationCodes: [schema.authorizationCodes, shardSchema.authorizationCodes],
} as const

describe('the token shard schema', () => {
  for (const [name, [main, shard]] of Object.entries(TOKEN_TABLES)) {
    it(`${name}: the main database's columns, and its indexes`, () => {
      expect(columns(shard)).toEqual(columns(main))
      expect(indexes(shard)).toEqual(expect.arrayContaining(indexes(main)))
    })
  }

  it('references nothing outside the shard: only a refresh token its access token, in the same shard', () => {
    const references = Object.values(TOKEN_TABLES).flatMap(([, shard]) =>
      getTableConfig(shard).foreignKeys.map((key) => {
        const { foreignTable } = key.reference()
        return `${getTableConfig(shard).name} → ${getTableConfig(foreignTable).name}`
      }),
    )
    expect(references).toEqual(['refresh_tokens → access_tokens'])
  })

  it('has the fences of the main database', () => {
    expect(shardSchema.userFences).toBe(schema.userFences)
    expect(shardSchema.applicationFences).toBe(schema.applicationFences)
  })
})
