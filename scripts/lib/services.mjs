/**
 * Makes sure the backing services the app needs answer: Redis, PostgreSQL
 * and its database. A service on this machine that is not running is
 * started, and installed first with apt-get when it is missing and we may
 * (Debian, root); anything else ends with a message saying what to do.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOT } from './env.mjs'
import { SetupError, log } from './log.mjs'
import { hasCommand, runChecked } from './process.mjs'

const START_TIMEOUT_MS = 10_000

export const isLocalHost = (host) =>
  ['localhost', '::1', '0.0.0.0', '::'].includes(host) || host.startsWith('127.')

/** Polls check() until it returns true or timeoutMs have passed. */
export async function waitUntil(check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() >= deadline) return false
    await sleep(intervalMs)
  }
  return true
}

/** Whether something accepts TCP connections on host:port. */
export function isPortOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (open) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const canInstallWithApt = () =>
  existsSync('/etc/debian_version') && process.getuid?.() === 0 && hasCommand('apt-get')

let aptUpdated = false
async function aptInstall(...packages) {
  const options = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }
  log(`installing ${packages.join(', ')} with apt-get`)
  if (!aptUpdated) {
    await runChecked('apt-get', ['update'], options)
    aptUpdated = true
  }
  await runChecked('apt-get', ['install', '-y', ...packages], options)
}

/* ------------------------------------------------------------------ Redis */

const resp = (...parts) =>
  `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`

/**
 * Sends (AUTH and) PING over a raw socket. Resolves with the reply lines, or
 * null when nothing accepts the connection.
 */
function redisPing(host, port, password, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const expectedLines = password ? 2 : 1
    let connected = false
    let reply = ''
    const done = () => {
      socket.destroy()
      resolve(connected ? reply.split('\r\n').filter(Boolean) : null)
    }
    socket.setTimeout(timeoutMs, done)
    socket.once('error', () => {}) // 'close' follows
    socket.once('close', done)
    socket.once('connect', () => {
      connected = true
      socket.write((password ? resp('AUTH', password) : '') + resp('PING'))
    })
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8')
      if (reply.split('\r\n').length > expectedLines) done()
    })
  })
}

export async function ensureRedis(host, port, password = '') {
  const where = `${host}:${port}`
  const isUp = async () => {
    const lines = await redisPing(host, port, password)
    if (lines === null) return false
    if (lines.includes('+PONG')) return true
    const answer = lines.find((line) => line.startsWith('-')) ?? lines[0]
    if (!answer)
      throw new SetupError(`${where} accepts connections but does not answer PING: is it Redis?`)
    throw new SetupError(
      /^-(NOAUTH|WRONGPASS)/.test(answer)
        ? `Redis at ${where} refused PING ("${answer}"): set REDIS_PASSWORD in .env to its password.`
        : `${where} answered PING with "${answer}": point REDIS_HOST/REDIS_PORT in .env at Redis.`
    )
  }
  if (await isUp()) return

  if (!isLocalHost(host)) {
    throw new SetupError(
      `Redis at ${where} does not answer. Start it, or point REDIS_HOST/REDIS_PORT in .env at a running Redis.`
    )
  }
  if (!hasCommand('redis-server')) {
    if (!canInstallWithApt()) {
      throw new SetupError(
        `Redis is not running on ${where} and redis-server is not installed. Install Redis 7 ` +
          `(Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), start it ` +
          `(redis-server --port ${port}), then run this again.`
      )
    }
    await aptInstall('redis-server')
    if (await isUp()) return
  }

  log(`Redis is not running on ${where}: starting redis-server on port ${port}`)
  const args = [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
  ]
  if (password) args.push('--requirepass', password)
  await runChecked('redis-server', args)
  if (!(await waitUntil(isUp, START_TIMEOUT_MS))) {
    throw new SetupError(
      `redis-server was started but ${where} does not answer PING after ${START_TIMEOUT_MS / 1000} s. ` +
        `Is another program using port ${port}? Try \`redis-server --port ${port}\` to see its error.`
    )
  }
  log(`Redis is up on ${where}`)
}

/* ------------------------------------------------------------- PostgreSQL */

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

/** Redis, and PostgreSQL with its database when DB_CONNECTION=pg; tmp/ holds SQLite files. */
export async function ensureBackingServices(env) {
  mkdirSync(join(ROOT, 'tmp'), { recursive: true })
  await ensureRedis(env.REDIS_HOST, Number(env.REDIS_PORT), env.REDIS_PASSWORD)
  if (env.DB_CONNECTION === 'pg') {
    await ensurePostgres(env.DB_HOST, Number(env.DB_PORT))
    await ensureDatabase(postgresConfig(env))
  }
}
