/**
 * How the app's processes are started: from the TypeScript sources (loaded
 * by ts-node-maintained), or from the compiled copy in build/ when there is
 * one and it is wanted.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './env.mjs'

export const BUILD_DIR = join(ROOT, 'build')
export const hasBuild = () => existsSync(join(BUILD_DIR, 'bin/server.js'))

/** Spawn specs for supervise(): the web server and/or the queue worker. */
export function appProcesses({
  compiled = false,
  web = true,
  worker = true,
  env = process.env,
  nodeArgs = [],
}) {
  const node = process.execPath
  const cwd = compiled ? BUILD_DIR : ROOT
  const specs = []
  if (web) {
    const loader = compiled ? [] : ['--import=ts-node-maintained/register/esm']
    specs.push({
      name: 'web',
      command: node,
      args: [...nodeArgs, ...loader, 'bin/server.js'],
      cwd,
      env,
    })
  }
  if (worker) {
    // ace.js registers the TypeScript loader itself; build/ace.js is compiled.
    const ace = compiled ? 'ace.js' : 'ace'
    specs.push({ name: 'worker', command: node, args: [ace, 'queue:listen'], cwd, env })
  }
  return specs
}
