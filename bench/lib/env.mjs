/**
 * The bench's own environment: the app's .env read as the app reads it,
 * then pointed at resources no one else uses (PostgreSQL database
 * parley_bench, Redis database 8, queue prefix parley-bench), so a bench
 * never touches the development data or the test suite's database.
 */
import { ROOT, ensureEnvFile, loadEnv } from '../../scripts/lib/env.mjs'
import { spawnSync } from 'node:child_process'
import { ensureBackingServices } from '../../scripts/lib/services.mjs'

export { ROOT }

/** Ports the bench may listen on (3450-3459). */
export const BENCH_PORTS = { web: 3450, first: 3450, last: 3459 }

/**
 * The environment of every bench process. `BENCH_DB` picks another
 * database (e.g. to run two benches at once); the rest is fixed.
 */
export function benchEnv(overrides = {}) {
  ensureEnvFile()
  const base = loadEnv('production')
  const env = {
    ...base,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(BENCH_PORTS.web),
    APP_URL: `http://127.0.0.1:${BENCH_PORTS.web}`,
    DB_CONNECTION: 'pg',
    DB_DATABASE: process.env.BENCH_DB || 'parley_bench',
    REDIS_DB: '8',
    QUEUE_PREFIX: 'parley-bench',
    // Production requires an explicit mailer; nothing is mailed during a bench.
    MAIL_MAILER: 'local',
    SESSION_DRIVER: base.SESSION_DRIVER || 'cookie',
    LIMITER_STORE: 'redis',
    BENCH_ROUTES: 'true',
    ...overrides,
  }
  for (const [name, forbidden] of [
    ['DB_DATABASE', 'parley_test'],
    ['REDIS_DB', '1'],
    ['QUEUE_PREFIX', 'parley-test'],
  ]) {
    if (env[name] === forbidden) throw new Error(`the bench never uses ${name}=${forbidden}`)
  }
  return env
}

/**
 * Runs `node ace …` with the bench env (development: seeders refuse
 * production); its output is shown only when it fails.
 */
export function ace(env, args) {
  const result = spawnSync(process.execPath, ['ace', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  })
  if (result.status !== 0) {
    throw new Error(`node ace ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`)
  }
}

/**
 * Redis and PostgreSQL up, the bench database created, migrated afresh and
 * seeded with the demo data (database/seeders: Demo Company, its owner
 * owner@demo.parley.test, the "Parley Assistant" chatbot).
 */
export async function prepareDatabase(env, { seed = true } = {}) {
  await ensureBackingServices(env)
  ace(env, ['migration:fresh', '--force'])
  if (seed) ace(env, ['db:seed'])
}

/** The demo owner's login (database/seeders/main_seeder.ts). */
export const DEMO_OWNER = { email: 'owner@demo.parley.test', password: 'demo-owner-lantern-42' }
