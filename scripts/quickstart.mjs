/**
 * `npm run quickstart`: from a fresh clone to a running Parley. Installs
 * dependencies, writes .env, makes sure Redis (and PostgreSQL when
 * DB_CONNECTION=pg) answer, migrates and seeds, then runs the web server and
 * the queue worker until Ctrl-C.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { appProcesses } from './lib/app.mjs'
import { ROOT, ensureEnvFile, loadEnv } from './lib/env.mjs'
import { SetupError, log, main } from './lib/log.mjs'
import { runChecked } from './lib/process.mjs'
import { ensureBackingServices } from './lib/services.mjs'
import { isPortOpen, waitUntil } from './lib/system.mjs'
import { supervise } from './lib/supervisor.mjs'

const READY_TIMEOUT_MS = 60_000

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0)

/** npm records each install in node_modules/.package-lock.json; skip when it is newer than the lockfile. */
async function installDependencies() {
  const installedAt = mtime(join(ROOT, 'node_modules/.package-lock.json'))
  const lockfile = join(ROOT, 'package-lock.json')
  if (installedAt && existsSync(lockfile) && installedAt >= mtime(lockfile)) {
    log('dependencies are up to date (node_modules is newer than package-lock.json)')
    return
  }
  log('installing dependencies: npm install')
  await runChecked('npm', ['install'])
}

/** The app listens on HOST; a wildcard address is reached (and shown) as localhost. */
const reachableHost = (host) =>
  ['0.0.0.0', '::', '', undefined].includes(host) ? 'localhost' : host

async function waitForPing(url, supervisor) {
  let lastAnswer = 'no answer'
  const answered = await waitUntil(
    async () => {
      if (supervisor.stopping) return true
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
        lastAnswer = `HTTP ${response.status}`
        return response.status === 200
      } catch (error) {
        lastAnswer = error.cause?.code ?? error.message
        return false
      }
    },
    READY_TIMEOUT_MS,
    500
  )
  return { ready: answered && !supervisor.stopping, lastAnswer }
}

main(async () => {
  await installDependencies()
  ensureEnvFile()
  const env = loadEnv()
  await ensureBackingServices(env)

  const node = process.execPath
  log('running migrations')
  await runChecked(node, ['ace', 'migration:run', '--force'])
  log('seeding the database')
  await runChecked(node, ['ace', 'db:seed'])

  const host = reachableHost(env.HOST)
  const baseUrl = `http://${host}:${env.PORT}`
  // Something else answering on the port would pass the readiness check below.
  if (await isPortOpen(host, Number(env.PORT))) {
    throw new SetupError(
      `port ${env.PORT} on ${host} is already in use (another Parley?). Stop that process or set PORT in .env.`
    )
  }

  log('starting the web server and the queue worker')
  const supervisor = supervise(appProcesses({ compiled: false }))
  const pingUrl = `${baseUrl}/api/ping`
  const { ready, lastAnswer } = await waitForPing(pingUrl, supervisor)
  if (ready) {
    log(`Parley is running at ${baseUrl} (Ctrl-C stops it)`)
  } else if (!supervisor.stopping) {
    supervisor.stop(
      `the web server did not answer GET ${pingUrl} with 200 within ${READY_TIMEOUT_MS / 1000} s ` +
        `(last: ${lastAnswer}). Look at the web output above; a 404 means the /api/ping route is missing ` +
        `from start/routes.ts. Stopping.`,
      1
    )
  }
  return supervisor.done
})
