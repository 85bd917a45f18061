// The token shards' schema (src/db/shard-schema.ts): `npm run db:generate` runs this config too.
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/shard-schema.ts',
  out: './migrations/shards',
})
