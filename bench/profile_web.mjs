/**
 * A CPU profile of the web process under load on one endpoint:
 *
 *   node bench/profile_web.mjs [token|org|ping|bare|page|ingest] [--seconds=10] [--rate=200]
 *
 * Starts the bench web server with the sampling profiler preloaded
 * (bench/pipeline/cpu_profile.mjs, into tmp/bench-web-prof/), loads the
 * endpoint with autocannon (10 connections; --rate: evenly spaced requests at that rate), samples only the measured run (SIGUSR2 starts and writes) and prints where the time went
 * (bench/pipeline/profile_summary.mjs). Uses the HTTP scenario's database.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { autocannonRun, benchEnv, prepareDatabase, ROOT, startWeb } from './lib/index.mjs'
import { fixture } from './lib/fixture.mjs'
import { summarizeProfile } from './pipeline/profile_summary.mjs'

const argv = process.argv.slice(2)
const target = argv.find((arg) => !arg.startsWith('--')) ?? 'token'
const seconds = Number(/--seconds=(\d+)/.exec(argv.join(' '))?.[1] ?? 10)
const rate = Number(/--rate=(\d+)/.exec(argv.join(' '))?.[1] ?? 0) || undefined
const dir = join(ROOT, 'tmp/bench-web-prof')
rmSync(dir, { recursive: true, force: true })

const env = benchEnv()
await prepareDatabase(env)
const web = await startWeb({
  env: { ...env, BENCH_CPU_PROFILE_DIR: dir, BENCH_CPU_PROFILE_ON_SIGNAL: '1' },
  nodeArgs: [`--import=${join(ROOT, 'bench/pipeline/cpu_profile.mjs')}`],
})
try {
  const { auth, cookie, chatbotIds } = await fixture(web.url)
  const targets = {
    // a new anonymous conversation per message (the chat pipeline scenario's ingest)
    ingest: {
      path: `/api/v1/chatbots/${chatbotIds.at(-1)}/messages`,
      method: 'POST',
      body: { text: 'Where is my order?' },
      headers: { ...auth, 'content-type': 'application/json' },
    },
    bare: { path: '/bench/bare' },
    ping: { path: '/api/ping' },
    token: { path: '/api/v1/chatbots?per_page=20', headers: auth },
    // the authenticated path alone: token, tenant and policy from the auth cache, no statement
    org: { path: '/api/v1/organization', headers: auth },
    page: { path: '/chatbots', headers: { cookie } },
  }
  const { path, headers, method, body } = targets[target]
  const load = { url: web.url + path, headers, method, body }
  await autocannonRun({ ...load, duration: 2 })
  process.kill(web.pid, 'SIGUSR2') // sampling starts: boot and warm-up stay out
  const result = await autocannonRun({ ...load, duration: seconds, rate, warmup: 0 })
  console.log(`${path}: ${result.rps} req/s, p50 ${result.p50} ms, p95 ${result.p95} ms`)
  process.kill(web.pid, 'SIGUSR2')
  await new Promise((resolve) => setTimeout(resolve, 2000))
} finally {
  await web.stop()
}
const [file] = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))
if (!file) throw new Error(`no profile written in ${dir}`)
const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), 40)
console.log(`profile ${join(dir, file)}: ${summary.totalMs} ms sampled`)
console.table(summary.areas)
console.table(summary.functions)
