/**
 * The web process under test: `node bin/server.js` through the TypeScript
 * loader (as scripts/lib/app.mjs starts it), its output in
 * tmp/bench-web-<port>.log. Production mode when it boots, else
 * development (the caller is told which).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { appProcesses } from '../../scripts/lib/app.mjs'
import { ROOT } from './env.mjs'

const READY_TIMEOUT_MS = 60_000

const tail = (file) => readFileSync(file, 'utf8').split('\n').slice(-25).join('\n')

async function answersPing(url) {
  try {
    return (await fetch(`${url}/api/ping`)).status === 200
  } catch {
    return false
  }
}

function spawnWeb(env, port, nodeArgs) {
  mkdirSync(join(ROOT, 'tmp'), { recursive: true })
  const logFile = join(ROOT, `tmp/bench-web-${port}.log`)
  const output = openSync(logFile, 'w')
  const [spec] = appProcesses({ web: true, worker: false, env, nodeArgs })
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', output, output],
  })
  return { child, logFile }
}

async function waitReady(child, url) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false
    if (await answersPing(url)) return true
    await sleep(200)
  }
  return false
}

function stopper(child) {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * Starts the web server on `port` and waits for /api/ping.
 * `nodeArgs` go to node before the loader (e.g. `--cpu-prof`).
 * Returns { url, pid, mode, logFile, stop() }; mode is the NODE_ENV it runs in.
 */
export async function startWeb({ env, port = Number(env.PORT), nodeArgs = [] }) {
  const url = `http://127.0.0.1:${port}`
  if (await answersPing(url)) throw new Error(`something already answers on ${url}: stop it first`)

  const modes = env.NODE_ENV === 'production' ? ['production', 'development'] : [env.NODE_ENV]
  const failures = []
  for (const mode of modes) {
    const { child, logFile } = spawnWeb(
      { ...env, NODE_ENV: mode, PORT: String(port), HOST: '127.0.0.1' },
      port,
      nodeArgs
    )
    if (await waitReady(child, url)) {
      if (mode !== env.NODE_ENV) {
        console.warn(`[bench] the web server did not boot in ${env.NODE_ENV}; running in ${mode}`)
      }
      return { url, pid: child.pid, mode, logFile, stop: stopper(child) }
    }
    await stopper(child)()
    failures.push(`${mode}:\n${tail(logFile)}`)
  }
  throw new Error(
    `the web server did not start on ${url}; its last output:\n${failures.join('\n')}`
  )
}
