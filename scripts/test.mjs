/**
 * `npm test`: the whole suite against PostgreSQL and Redis (started when
 * needed), browser tests on Debian's chromium included (installed when
 * needed), then the functional suite once more on SQLite. Arguments are
 * passed to `node ace test` (`npm test -- unit --files=x`); with arguments
 * only that one run happens. Ends with `tests: N passed, M failed`.
 */
import { ensureChromium } from './lib/chromium.mjs'
import { ensureEnvFile, loadEnv } from './lib/env.mjs'
import { log, main } from './lib/log.mjs'
import { describeExit, runTee } from './lib/process.mjs'
import { ensureBackingServices } from './lib/services.mjs'

// Japa's summary line, e.g. `Tests  3 failed, 9 passed, 1 skipped (13)`.
const SUMMARY = /^\s*Tests\s+(.*)\((\d+)\)\s*$/
const count = (text, word) => Number(text.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0)

// Suites are the positional arguments of `ace test`; none means all of them.
const runsBrowserSuite = (args) => {
  const suites = args.filter((arg) => !arg.startsWith('-'))
  return suites.length === 0 || suites.includes('browser')
}

async function runSuite(label, args, extraEnv) {
  log(`running ${label}: node ace test ${args.join(' ')}`.trimEnd())
  const result = { label, passed: 0, failed: 0, total: 0 }
  const onLine = (line) => {
    const summary = line.match(SUMMARY)
    if (!summary) return
    result.passed += count(summary[1], 'passed')
    result.failed += count(summary[1], 'failed')
    result.total += Number(summary[2])
  }
  // The runner clears the screen before a run, which would wipe the previous run's output.
  const noClear = args.some((arg) => /^--(no-)?clear$/.test(arg)) ? [] : ['--no-clear']
  const env = { ...process.env, NODE_ENV: 'test', ...extraEnv }
  if (process.stdout.isTTY && env.FORCE_COLOR === undefined) env.FORCE_COLOR = '1'
  const { code, signal } = await runTee(process.execPath, ['ace', 'test', ...noClear, ...args], {
    env,
    onLine,
  })
  result.ok = code === 0 && result.failed === 0
  if (!result.ok)
    log(`${label} failed (${describeExit(code, signal)}, ${result.failed} failed tests)`)
  return result
}

main(async () => {
  ensureEnvFile()
  const env = loadEnv('test')
  await ensureBackingServices(env)

  const args = process.argv.slice(2)
  const browserEnv = runsBrowserSuite(args) ? { CHROMIUM_PATH: await ensureChromium(env) } : {}
  const results = [await runSuite('the test suite', args, browserEnv)]
  if (args.length === 0) {
    results.push(
      await runSuite('the functional suite on SQLite', ['functional'], { DB_CONNECTION: 'sqlite' })
    )
  }

  const passed = results.reduce((sum, r) => sum + r.passed, 0)
  const failed = results.reduce((sum, r) => sum + r.failed, 0)
  const total = results.reduce((sum, r) => sum + r.total, 0)
  console.log(`tests: ${passed} passed, ${failed} failed`)
  if (total === 0) log('no tests ran')
  return results.every((r) => r.ok) && total > 0 ? 0 : 1
})
