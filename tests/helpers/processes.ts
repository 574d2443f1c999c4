import { createServer } from 'node:net'
import { spawn, type ChildProcess } from 'node:child_process'
import app from '@adonisjs/core/services/app'

/**
 * A TCP port nothing listens on (bound, then released).
 */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts a Parley process (`node … bin/server.js`, `node ace …`) in the test
 * environment with extra variables, collecting its output. Killed at the
 * end of the test through `cleanup`.
 */
export function spawnParley(args: string[], extraEnv: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: app.makePath(),
    env: { ...process.env, NODE_ENV: 'test', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))

  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  )

  return {
    child,
    exited,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    /**
     * Asks the process to stop (SIGTERM: a worker finishes its jobs in
     * flight), killing it if it has not exited within `timeoutMs`, so a
     * worker never leaves a locked job behind for the next test.
     */
    terminate: async (timeoutMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
