/**
 * Parley's chat workers for the bench: `node ace queue:listen --queue=high`
 * processes, their output in tmp/bench-chat-worker-<n>.log.
 */
import { spawn } from 'node:child_process'
import { openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { appProcesses } from '../../scripts/lib/app.mjs'
import { ROOT } from '../lib/index.mjs'

const READY_TIMEOUT_MS = 60_000

function startWorker(env, index) {
  const logFile = join(ROOT, `tmp/bench-chat-worker-${index}.log`)
  const output = openSync(logFile, 'w')
  const [spec] = appProcesses({ web: false, worker: true, env })
  const child = spawn(spec.command, [...spec.args, '--queue=high'], {
    cwd: spec.cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', output, output],
  })
  return { child, logFile }
}

async function waitListening({ child, logFile }) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    const log = readFileSync(logFile, 'utf8')
    if (log.includes('Listening on queue(s)')) return
    if (child.exitCode !== null) throw new Error(`a chat worker exited:\n${log}`)
    await sleep(200)
  }
  throw new Error(`a chat worker did not start in time (see ${logFile})`)
}

/** SIGTERM (jobs in flight finish), SIGKILL after 15 s. */
async function stopWorker({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

/**
 * Starts `count` workers on the `high` queue; `nodeOptions` go before the
 * script (e.g. `--cpu-prof`). Returns { pids, stop() }.
 */
export async function startChatWorkers(env, count, nodeOptions = []) {
  const workers = Array.from({ length: count }, (_, index) => startWorker(env, index, nodeOptions))
  await Promise.all(workers.map(waitListening))
  return {
    pids: workers.map(({ child }) => child.pid),
    stop: () => Promise.all(workers.map(stopWorker)),
  }
}
