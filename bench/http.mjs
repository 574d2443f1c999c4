/**
 * Scenario 1, HTTP floor: the cheapest route of the app (GET /bench/bare),
 * /api/ping, the token-authenticated path alone (GET /api/v1/organization)
 * and one chatbot, the token-authenticated chatbot list (20 rows, tenant-scoped)
 * and console pages (session cookie), measured in the same run: maximum
 * throughput, then latency at one fixed rate all of them sustain; queries
 * per request (X-Query-Count) and the web process's RSS after each run.
 */
import {
  autocannonRun,
  benchEnv,
  machine,
  prepareDatabase,
  printTable,
  queriesOf,
  shortSql,
  ratio,
  rssOf,
  startWeb,
} from './lib/index.mjs'
import { fixture } from './lib/fixture.mjs'
import { flushAuthCache } from './lib/auth.mjs'

export async function run({ quick = false } = {}) {
  const duration = quick ? 2 : 10
  const env = benchEnv()
  console.log(`\nScenario 1: HTTP floor — ${machine()}`)
  await prepareDatabase(env)
  const web = await startWeb({ env })
  try {
    const { auth, cookie, chatbotIds } = await fixture(web.url)
    const targets = [
      { name: 'bare  GET /bench/bare', path: '/bench/bare' },
      { name: 'ping  GET /api/ping', path: '/api/ping' },
      // The steps between: the authenticated path alone (token, tenant, policy; no
      // statement once cached), then one row read and presented.
      { name: 'token GET /api/v1/organization', path: '/api/v1/organization', headers: auth },
      {
        name: 'token GET /api/v1/chatbots/:id',
        path: `/api/v1/chatbots/${chatbotIds[0]}`,
        headers: auth,
      },
      {
        name: 'token GET /api/v1/chatbots (20)',
        path: '/api/v1/chatbots?per_page=20',
        headers: auth,
      },
      { name: 'page  GET /chatbots (session)', path: '/chatbots', headers: { cookie } },
      { name: 'page  GET / dashboard (session)', path: '/', headers: { cookie } },
    ]
    console.log(`  web pid ${web.pid} (${web.mode}), RSS at start ${rssOf(web.pid)} MB`)

    // The whole stack compiled by the JIT before anything is measured.
    for (const target of targets) {
      await autocannonRun({ url: web.url + target.path, headers: target.headers, duration: 1 })
    }

    const rows = []
    const queryLists = []
    for (const target of targets) {
      // Cold: the auth cache emptied (as after any change to who may act); then warm.
      await flushAuthCache(env)
      const cold = await queriesOf(web.url + target.path, { headers: target.headers })
      const { status, queries, log } = await queriesOf(web.url + target.path, {
        headers: target.headers,
      })
      if (status !== 200) throw new Error(`${target.path} answered ${status}`)
      queryLists.push({ endpoint: target.name, log, cold: cold.log })
      const result = await autocannonRun({
        url: web.url + target.path,
        headers: target.headers,
        duration,
      })
      target.max = result.rps
      rows.push({
        'endpoint': target.name,
        'req/s': result.rps,
        'vs bare': ratio(result.rps, targets[0].max),
        'p50 ms': result.p50,
        'p95 ms': result.p95,
        'p99 ms': result.p99,
        'non-2xx': result.non2xx + result.errors,
        'queries warm (cold)': queries === cold.queries ? queries : `${queries} (${cold.queries})`,
        'RSS MB': rssOf(web.pid),
      })
    }
    printTable(`Maximum throughput (10 connections, ${duration} s each)`, rows)

    // Latency is quoted at one rate every endpoint sustains: half the slowest one's maximum.
    const rate = Math.max(10, Math.floor(Math.min(...targets.map((t) => t.max)) / 2 / 10) * 10)
    const fixed = []
    for (const target of targets) {
      const result = await autocannonRun({
        url: web.url + target.path,
        headers: target.headers,
        duration,
        rate,
      })
      fixed.push({
        'endpoint': target.name,
        'req/s': result.rps,
        'p50 ms': result.p50,
        'p95 ms': result.p95,
        'p99 ms': result.p99,
        'non-2xx': result.non2xx + result.errors,
      })
    }
    printTable(`Latency at a fixed ${rate} req/s (${duration} s each)`, fixed)

    console.log('\nQueries per request, in order (warm auth cache; cold when it differs):')
    for (const { endpoint, log, cold } of queryLists) {
      console.log(`  ${endpoint}: ${log.length}`)
      log.forEach(({ sql }, i) => console.log(`    ${i + 1}. ${shortSql(sql)}`))
      if (cold.length !== log.length) {
        console.log(`    cold: ${cold.length}`)
        cold.forEach(({ sql }, i) => console.log(`    ${i + 1}. ${shortSql(sql)}`))
      }
    }

    const listIndex = targets.findIndex((target) => target.path.startsWith('/api/v1/chatbots?'))
    const results = {
      listVsBare: targets[listIndex].max / targets[0].max,
      apiQueries: queryLists[listIndex].log.length,
      apiQueriesCold: queryLists[listIndex].cold.length,
    }
    console.log(
      `  target: authenticated list >= 0.5x bare: ${results.listVsBare.toFixed(2)}x ` +
        `(${results.listVsBare >= 0.5 ? 'met' : 'NOT met'}); <= 3 queries per API request: ` +
        `${results.apiQueries} warm, ${results.apiQueriesCold} cold ` +
        `(${results.apiQueriesCold <= 3 ? 'met' : 'NOT met'})`
    )
    return { rows, fixed, rate, ...results }
  } finally {
    await web.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run({ quick: process.argv.includes('--quick') })
}
