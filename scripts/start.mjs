/**
 * `npm start` (web server and queue worker), `npm run start:web`,
 * `npm run start:worker`. Runs the app as it is: no install, no migrations,
 * no file watcher. Prefers the compiled app in build/ (`npm run build`).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BUILD_DIR, appProcesses, hasBuild } from './lib/app.mjs'
import { ROOT } from './lib/env.mjs'
import { SetupError, log, main } from './lib/log.mjs'
import { supervise } from './lib/supervisor.mjs'

const ROLES = { '--web': { web: true, worker: false }, '--worker': { web: false, worker: true } }

main(async () => {
  const flags = process.argv.slice(2)
  const unknown = flags.filter((flag) => !(flag in ROLES))
  if (unknown.length > 0 || flags.length > 1) {
    throw new SetupError(
      `usage: node scripts/start.mjs [--web | --worker] (got: ${flags.join(' ')})`
    )
  }
  const roles = ROLES[flags[0]] ?? { web: true, worker: true }

  const compiled = hasBuild()
  const env = { ...process.env }
  // The compiled app reads .env from build/; without one there, use the project's.
  if (
    compiled &&
    !env.ENV_PATH &&
    !existsSync(join(BUILD_DIR, '.env')) &&
    existsSync(join(ROOT, '.env'))
  ) {
    env.ENV_PATH = ROOT
  }
  log(
    `starting ${Object.keys(roles)
      .filter((role) => roles[role])
      .join(' and ')} from ` +
      (compiled ? 'the compiled app in build/' : 'the TypeScript sources (no build/ found)')
  )
  return supervise(appProcesses({ compiled, env, ...roles })).done
})
