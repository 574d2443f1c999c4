/**
 * Machine-level helpers of the service checks: waiting, TCP probes and
 * installing Debian packages.
 */
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { log } from './log.mjs'
import { hasCommand, runChecked } from './process.mjs'

/** How long a service we started may take to answer. */
export const START_TIMEOUT_MS = 10_000

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

/** Debian, as root: we may apt-get install what is missing. */
export const canInstallWithApt = () =>
  existsSync('/etc/debian_version') && process.getuid?.() === 0 && hasCommand('apt-get')

let aptUpdated = false
export async function aptInstall(...packages) {
  const options = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }
  log(`installing ${packages.join(', ')} with apt-get`)
  if (!aptUpdated) {
    await runChecked('apt-get', ['update'], options)
    aptUpdated = true
  }
  await runChecked('apt-get', ['install', '-y', ...packages], options)
}
