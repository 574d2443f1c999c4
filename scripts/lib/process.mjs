/**
 * Child processes of the scripts. They inherit the terminal unless their
 * output has to be read (runTee), and run from the repository root.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { ROOT } from './env.mjs'
import { SetupError } from './log.mjs'

const commandLine = (command, args) => [command, ...args].join(' ')

export function describeExit(code, signal) {
  return signal ? `killed by ${signal}` : `exit code ${code}`
}

function waitForExit(child, command, args) {
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(new SetupError(`could not run \`${commandLine(command, args)}\`: ${error.message}`))
    )
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
}

/** Runs a command with inherited stdio; resolves with its { code, signal }. */
export function run(command, args, { cwd = ROOT, env = process.env } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit' })
  return waitForExit(child, command, args)
}

/** Like run, but a non-zero exit is a SetupError. */
export async function runChecked(command, args, options) {
  const { code, signal } = await run(command, args, options)
  if (code !== 0) {
    throw new SetupError(`\`${commandLine(command, args)}\` failed (${describeExit(code, signal)})`)
  }
}

/**
 * Runs a command, copying its output to ours as it comes, and hands every
 * line of it (stdout and stderr, colours removed) to onLine.
 */
export function runTee(command, args, { cwd = ROOT, env = process.env, onLine }) {
  const child = spawn(command, args, { cwd, env, stdio: ['inherit', 'pipe', 'pipe'] })
  for (const [stream, target] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let pending = ''
    stream.on('data', (chunk) => {
      target.write(chunk)
      const lines = (pending + chunk.toString('utf8')).split('\n')
      pending = lines.pop()
      lines.forEach((line) => onLine(stripAnsi(line)))
    })
    stream.on('end', () => pending && onLine(stripAnsi(pending)))
  }
  return waitForExit(child, command, args)
}

// CSI sequences (colours, cursor moves) and single-character escapes such as ESC c (clear screen).
export const stripAnsi = (text) => text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_c]/g, '')

/** Whether an executable of that name is on the PATH. */
export function hasCommand(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
