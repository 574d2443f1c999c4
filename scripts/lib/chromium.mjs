/**
 * The chromium the browser tests and screenshots drive: Debian's, never one
 * downloaded by Playwright. CHROMIUM_PATH points at another binary.
 */
import { accessSync, constants } from 'node:fs'
import { SetupError, log } from './log.mjs'
import { aptInstall, canInstallWithApt } from './system.mjs'

export const DEFAULT_CHROMIUM = '/usr/bin/chromium'

const isExecutable = (path) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Resolves with the chromium path (installing Debian's chromium with apt-get
 * when it is missing and allowed), or throws saying what to do.
 */
export async function ensureChromium(env = process.env) {
  const path = env.CHROMIUM_PATH || DEFAULT_CHROMIUM
  if (isExecutable(path)) return path

  if (env.CHROMIUM_PATH) {
    throw new SetupError(
      `CHROMIUM_PATH is ${path}, which is not an executable file. Point it at a chromium binary, ` +
        `or unset it to use ${DEFAULT_CHROMIUM}.`
    )
  }
  if (!canInstallWithApt()) {
    throw new SetupError(
      `The browser tests need chromium at ${DEFAULT_CHROMIUM}. Install it (Debian/Ubuntu: ` +
        `sudo apt-get install chromium) or set CHROMIUM_PATH to a chromium/Chrome binary, then ` +
        `run this again. Browsers downloaded by \`playwright install\` are not used.`
    )
  }
  await aptInstall('chromium')
  if (!isExecutable(path)) {
    throw new SetupError(`apt-get installed chromium but ${path} is still missing.`)
  }
  log(`chromium installed at ${path}`)
  return path
}
