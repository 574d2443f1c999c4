import env from '#start/env'
import app from '@adonisjs/core/services/app'
import pg from 'pg'
import { defineConfig } from '@adonisjs/lucid'

/**
 * bigint columns (ids, counts) come back from PostgreSQL as strings; ours
 * stay far below 2^53, so read them as numbers like SQLite does.
 */
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

const migrations = { naturalSort: true, paths: ['database/migrations'] }
const seeders = { paths: ['database/seeders'] }

/**
 * PostgreSQL is the system of record. SQLite is the zero-setup database of
 * the quick start: `DB_DATABASE` names the PostgreSQL database, or the file
 * `tmp/<DB_DATABASE>.sqlite3` when `DB_CONNECTION=sqlite`.
 */
const dbConfig = defineConfig({
  connection: env.get('DB_CONNECTION'),
  prettyPrintDebugQueries: false,

  connections: {
    pg: {
      client: 'pg',
      connection: {
        host: env.get('DB_HOST'),
        port: env.get('DB_PORT'),
        user: env.get('DB_USER'),
        password: env.get('DB_PASSWORD'),
        database: env.get('DB_DATABASE'),
      },
      pool: { min: 0, max: env.get('DB_POOL_MAX', 10) },
      migrations,
      seeders,
      debug: false,
    },

    sqlite: {
      client: 'better-sqlite3',
      connection: {
        filename: app.tmpPath(`${env.get('DB_DATABASE')}.sqlite3`),
      },
      useNullAsDefault: true,
      migrations,
      seeders,
      debug: false,
    },
  },
})

export default dbConfig
