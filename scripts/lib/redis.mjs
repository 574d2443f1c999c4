/**
 * Redis: answers PING, or is started on this machine (installed first with
 * apt-get when missing and allowed), or the run ends saying what to do.
 */
import { connect } from 'node:net'
import { SetupError, log } from './log.mjs'
import { hasCommand, runChecked } from './process.mjs'
import {
  START_TIMEOUT_MS,
  aptInstall,
  canInstallWithApt,
  isLocalHost,
  waitUntil,
} from './system.mjs'

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
