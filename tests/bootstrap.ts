import { mkdir, writeFile } from 'node:fs/promises'
import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import redis from '@adonisjs/redis/services/main'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { sessionBrowserClient } from '@adonisjs/session/plugins/browser_client'
import { authBrowserClient } from '@adonisjs/auth/plugins/browser_client'
import { browserClient, decoratorsCollection } from '@japa/browser-client'
import { chromium } from 'playwright-core'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { consoleErrors } from '#tests/browser/plugins/console_errors'
import { Test } from '@japa/runner/core'

/**
 * Debian's chromium (scripts/test.mjs installs it), never a browser
 * downloaded by Playwright; CHROMIUM_PATH points at another one.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
const launchChromium = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  })

// A page that never shows what a test waits for fails the test in seconds, not at its timeout.
decoratorsCollection.register({ context: (context) => context.setDefaultTimeout(10_000) })

/**
 * Plugins: assertions, the HTTP client, the AdonisJS integration (route
 * helpers) and the session, CSRF and login helpers of the api client; the
 * browser (launched for the browser suite only) with its session and login
 * helpers, and the console-error check of every browser test.
 */
export const plugins: Config['plugins'] = [
  assert(),
  apiClient(),
  pluginAdonisJS(app),
  sessionApiClient(app),
  shieldApiClient(),
  authApiClient(app),
  browserClient({ runInSuites: ['browser'], launcher: launchChromium }),
  sessionBrowserClient(app),
  authBrowserClient(app),
  consoleErrors(['browser']),
]

/**
 * The suite owns a Redis database of its own (REDIS_DB in .env.test) and
 * empties it before running; refuse to run against database 0, which is a
 * developer's.
 */
async function resetTestRedis() {
  if (env.get('REDIS_DB', 0) === 0) {
    throw new Error('Tests must run with REDIS_DB set to a database other than 0 (see .env.test)')
  }
  await redis.flushdb()
}

/**
 * Log lines of this run only, so tests can look for a request's lines.
 */
async function resetTestLog() {
  await mkdir(app.tmpPath('logs'), { recursive: true })
  await writeFile(app.tmpPath('logs/test.log'), '')
}

/**
 * Migrate the test database once for the run (rolled back at the end);
 * groups isolate their tests with a global transaction per test. A run
 * that was killed never rolled back: its tables and rows are dropped first,
 * so no test counts another run's leftovers.
 */
async function migrateFreshTestDatabase() {
  const connection = db.connection()
  if (!connection.dialect.name.includes('sqlite')) {
    await connection.dropAllTables()
    return testUtils.db().migrate()
  }

  // SQLite: Lucid's dropAllTables also lists FTS5 shadow tables, which are
  // gone once their virtual table is dropped; drop virtual tables first.
  const tables: { name: string; sql: string }[] = await connection.rawQuery(
    `select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%'`
  )
  const isVirtual = (table: { sql: string }) => /^create virtual/i.test(table.sql ?? '')
  await connection.rawQuery('PRAGMA foreign_keys = OFF')
  for (const table of [...tables.filter(isVirtual), ...tables.filter((t) => !isVirtual(t))]) {
    await connection.rawQuery(`DROP TABLE IF EXISTS "${table.name.replaceAll('"', '""')}"`)
  }
  await connection.rawQuery('PRAGMA foreign_keys = ON')
  return testUtils.db().migrate()
}

/**
 * Every test starts with an empty auth cache: what it holds came from
 * earlier tests, whose rows were rolled back (SQLite even reuses their ids).
 */
async function emptyAuthCacheBeforeEachTest() {
  const { AuthCache } = await import('#support/auth_cache')
  Test.executing(() => AuthCache.flushLocal())
}

export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [resetTestLog, resetTestRedis, migrateFreshTestDatabase, emptyAuthCacheBeforeEachTest],
  teardown: [],
}

/**
 * Functional and browser suites start the HTTP server, with the fixture
 * routes that exercise the foundation's mechanisms.
 */
export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['browser', 'functional'].includes(suite.name)) {
    return suite.setup(async () => {
      await import('#tests/fixtures/routes')
      return testUtils.httpServer().start()
    })
  }
}
