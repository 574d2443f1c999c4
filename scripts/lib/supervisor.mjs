/**
 * Runs the app's long-lived processes (web, worker) side by side. SIGINT or
 * SIGTERM stops them all with SIGTERM (the app's graceful shutdown, which
 * lets jobs in flight finish); a second signal, or GRACE_MS without exiting,
 * kills them. When one exits on its own the others are stopped too and the
 * exit code is non-zero.
 */
import { spawn } from 'node:child_process'
import { log } from './log.mjs'
import { describeExit } from './process.mjs'

const GRACE_MS = 30_000
// npm forwards the terminal's SIGINT to us as well: a repeat this soon is the same Ctrl-C.
const REPEAT_SIGNAL_MS = 1000

/**
 * @param specs [{ name, command, args, cwd, env }]
 * @returns { done: Promise<exit code>, stop(reason, code), stopping }
 */
export function supervise(specs) {
  const running = new Map()
  let resolveDone
  const done = new Promise((resolve) => (resolveDone = resolve))
  const supervisor = { done, stop, stopping: false }
  let exitCode = 0
  let killTimer
  const names = () => [...running.keys()].join(' and ') || 'nothing else'

  function stop(reason, code) {
    if (supervisor.stopping) return
    supervisor.stopping = true
    exitCode = code
    log(reason)
    for (const child of running.values()) child.kill('SIGTERM')
    killTimer = setTimeout(() => kill(`still running after ${GRACE_MS / 1000} s`), GRACE_MS)
  }

  function kill(reason) {
    log(`${names()} ${reason}: killing`)
    for (const child of running.values()) child.kill('SIGKILL')
  }

  let firstSignalAt
  const onSignal = (signal) => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now()
      stop(`${signal} received: stopping ${names()} (repeat to kill)`, 0)
    } else if (Date.now() - firstSignalAt > REPEAT_SIGNAL_MS) {
      kill('asked twice to stop')
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const onExit = (name, code, signal) => {
    if (!running.delete(name)) return
    if (supervisor.stopping) {
      log(`${name} stopped`)
    } else if (signal === 'SIGINT') {
      // Ctrl-C in the terminal reaches the children too: a stop, not a crash.
      stop(`${name} interrupted: stopping ${names()}`, 0)
    } else {
      stop(`${name} exited (${describeExit(code, signal)}): stopping ${names()}`, code || 1)
    }
    if (running.size > 0) return
    clearTimeout(killTimer)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    resolveDone(exitCode)
  }

  for (const { name, command, args, cwd, env } of specs) {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' })
    running.set(name, child)
    child.on('exit', (code, signal) => onExit(name, code, signal))
    child.on('error', (error) => {
      log(`could not start ${name}: ${error.message}`)
      onExit(name, 1, null)
    })
  }
  return supervisor
}
