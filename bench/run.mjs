/**
 * `npm run bench [-- <scenario>…] [-- --quick]`: runs every scenario, or
 * the ones named (http, audit, pipeline, scale), one after the other, each
 * starting what it needs. --quick runs short smoke versions.
 * See bench/README.md.
 */
import { machine } from './lib/index.mjs'

const SCENARIOS = {
  http: () => import('./http.mjs'),
  audit: () => import('./audit.mjs'),
  pipeline: () => import('./pipeline.mjs'),
  scale: () => import('./scale.mjs'),
}

const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const named = argv.filter((arg) => !arg.startsWith('--'))
const unknown = named.filter((name) => !(name in SCENARIOS))
if (unknown.length) {
  console.error(
    `unknown scenario ${unknown.join(', ')}: pick from ${Object.keys(SCENARIOS).join(', ')}`
  )
  process.exit(2)
}

const started = Date.now()
console.log(`Parley bench${quick ? ' (--quick)' : ''} on ${machine()}`)
const failed = []
for (const name of named.length ? named : Object.keys(SCENARIOS)) {
  try {
    const { run } = await SCENARIOS[name]()
    await run({ quick, argv })
  } catch (error) {
    failed.push(name)
    console.error(`\n[bench] ${name} failed: ${error.stack ?? error}`)
  }
}
console.log(`\nbench finished in ${Math.round((Date.now() - started) / 1000)} s`)
if (failed.length) {
  console.error(`failed: ${failed.join(', ')}`)
  process.exit(1)
}
