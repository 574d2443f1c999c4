/**
 * The backing services the app needs, as its env configures them.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './env.mjs'
import { ensureDatabase, ensurePostgres, postgresConfig } from './postgres.mjs'
import { ensureRedis } from './redis.mjs'

/** Redis, and PostgreSQL with its database when DB_CONNECTION=pg; tmp/ holds SQLite files. */
export async function ensureBackingServices(env) {
  mkdirSync(join(ROOT, 'tmp'), { recursive: true })
  await ensureRedis(env.REDIS_HOST, Number(env.REDIS_PORT), env.REDIS_PASSWORD)
  if (env.DB_CONNECTION === 'pg') {
    await ensurePostgres(env.DB_HOST, Number(env.DB_PORT))
    await ensureDatabase(postgresConfig(env))
  }
}
