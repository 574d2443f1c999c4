/**
 * PostgreSQL: accepts connections, or its Debian cluster on this machine is
 * started (installed first with apt-get when missing and allowed); then the
 * app's database is created when it does not exist.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { SetupError, log } from './log.mjs'
import { hasCommand, runChecked } from './process.mjs'
import {
  START_TIMEOUT_MS,
  aptInstall,
  canInstallWithApt,
  isLocalHost,
  isPortOpen,
  waitUntil,
} from './system.mjs'

/** Clusters of the Debian postgresql-common tools: { version, name, port, status }. */
function listClusters() {
  return execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [version, name, port, status] = line.trim().split(/\s+/)
      return { version, name, port: Number(port), status }
    })
}

/**
 * A cluster this script has just installed only accepts password logins over
 * TCP; let local TCP connections in without one, as the quick start expects
 * (DB_USER=postgres, empty DB_PASSWORD). Never applied to an existing cluster.
 */
function trustLocalConnections({ version, name }) {
  const hba = `/etc/postgresql/${version}/${name}/pg_hba.conf`
  const rules =
    '# added by Parley set-up: local development cluster\n' +
    'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'
  writeFileSync(hba, rules + readFileSync(hba, 'utf8'))
  log(`allowed passwordless TCP logins from this machine in ${hba}`)
}

export async function ensurePostgres(host, port) {
  const where = `${host}:${port}`
  if (await isPortOpen(host, port)) return

  if (!isLocalHost(host)) {
    throw new SetupError(
      `PostgreSQL at ${where} does not answer. Start it, or point DB_HOST/DB_PORT in .env at a running server.`
    )
  }
  let installedNow = false
  if (!hasCommand('pg_ctlcluster')) {
    if (!canInstallWithApt()) {
      throw new SetupError(
        `PostgreSQL is not running on ${where} and is not installed. Install PostgreSQL 15+ ` +
          `(Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16), start it, ` +
          `then run this again, or point DB_HOST/DB_PORT in .env at a running server.`
      )
    }
    await aptInstall('postgresql')
    installedNow = true
    if (await isPortOpen(host, port)) return
  }

  const clusters = listClusters()
  const cluster = clusters.find((c) => c.port === port)
  if (!cluster) {
    const known =
      clusters.map((c) => `${c.version}/${c.name} on port ${c.port}`).join(', ') || 'none'
    throw new SetupError(
      `no PostgreSQL cluster uses port ${port} (clusters: ${known}). Set DB_PORT in .env to one of ` +
        `them, or create one: pg_createcluster <version> main --port ${port}`
    )
  }
  const id = `${cluster.version}/${cluster.name}`
  if (cluster.status === 'online') {
    throw new SetupError(
      `PostgreSQL ${id} is running but refuses TCP connections on ${where}: check listen_addresses ` +
        `in /etc/postgresql/${cluster.version}/${cluster.name}/postgresql.conf`
    )
  }
  if (installedNow) trustLocalConnections(cluster)

  log(`PostgreSQL is not running on ${where}: starting cluster ${id}`)
  try {
    await runChecked('pg_ctlcluster', [
      '--skip-systemctl-redirect',
      cluster.version,
      cluster.name,
      'start',
    ])
  } catch (error) {
    throw new SetupError(
      `${error.message}. Start it yourself: sudo pg_ctlcluster ${cluster.version} ${cluster.name} start`
    )
  }
  if (!(await waitUntil(() => isPortOpen(host, port), START_TIMEOUT_MS))) {
    throw new SetupError(
      `PostgreSQL ${id} was started but ${where} does not accept connections after ` +
        `${START_TIMEOUT_MS / 1000} s; see /var/log/postgresql/postgresql-${cluster.version}-${cluster.name}.log`
    )
  }
  log(`PostgreSQL is up on ${where}`)
}

/** Connection settings of the app's `pg` connection. */
export const postgresConfig = (env) => ({
  host: env.DB_HOST,
  port: Number(env.DB_PORT),
  user: env.DB_USER,
  password: env.DB_PASSWORD || undefined,
  database: env.DB_DATABASE,
})

/** Creates the database when it does not exist, through the `postgres` maintenance database. */
export async function ensureDatabase({ database, ...server }) {
  // Imported here: quick start loads this module before `npm install` has run.
  const { default: pg } = await import('pg')
  const client = await connectWhenReady(pg, { ...server, database: 'postgres' })
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      database,
    ])
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`)
      log(`created database ${database}`)
    }
  } catch (error) {
    // 42P04: created meanwhile by someone else, which is what we wanted.
    if (error.code !== '42P04') {
      throw new SetupError(`could not create database "${database}": ${error.message}`)
    }
  } finally {
    await client.end()
  }
}

/** Connects, waiting while a just-started server is still starting up (57P03). */
async function connectWhenReady(pg, config) {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    const client = new pg.Client(config)
    try {
      await client.connect()
      return client
    } catch (error) {
      await client.end().catch(() => {})
      if (error.code === '57P03' && Date.now() < deadline) {
        await sleep(250)
        continue
      }
      throw new SetupError(
        `cannot connect to PostgreSQL at ${config.host}:${config.port} as "${config.user}": ` +
          `${error.message}. Check DB_USER and DB_PASSWORD in .env.`
      )
    }
  }
}
