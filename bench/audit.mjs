/**
 * Scenario 2, audit cost: one mutation (PATCH of a chatbot's description
 * through ChatbotService, token-authenticated) answered with `success`
 * (PATCH /bench/chatbots/:id/plain) and with `successWithLog`
 * (PATCH /bench/chatbots/:id/logged, as the real endpoint does). Rounds
 * alternate between the two so a busy machine hurts both alike; the loss
 * is the drop in throughput with the audit entry.
 */
import pg from 'pg'
import { postgresConfig } from '../scripts/lib/postgres.mjs'
import {
  autocannonRun,
  benchEnv,
  fixture,
  machine,
  prepareDatabase,
  printTable,
  queriesOf,
  ratio,
  startWeb,
  summarize,
} from './lib/index.mjs'

const TARGET_LOSS = 10

async function auditRows(env) {
  const client = new pg.Client(postgresConfig(env))
  await client.connect()
  try {
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM audit_logs WHERE action = 'chatbot.updated'"
    )
    return rows[0].n
  } finally {
    await client.end()
  }
}

export async function run({ quick = false } = {}) {
  const duration = quick ? 2 : 10
  const rounds = quick ? 1 : 2
  const env = benchEnv()
  console.log(`\nScenario 2: audit cost — ${machine()}`)
  await prepareDatabase(env)
  const web = await startWeb({ env })
  try {
    const { auth, chatbotIds } = await fixture(web.url)
    const headers = { ...auth, 'content-type': 'application/json' }
    // A new description each time, so every request really writes the row.
    let sequence = 0
    const describe = () => JSON.stringify({ description: `Audit-cost bench ${++sequence}` })
    const setupRequest = (request) => ({ ...request, body: describe() })
    const body = describe()
    const variants = ['plain', 'logged'].map((name) => ({
      name,
      url: `${web.url}/bench/chatbots/${chatbotIds[0]}/${name}`,
      runs: [],
    }))
    // The same PATCH load for every run; each request writes a new description.
    const patch = (variant, options) =>
      autocannonRun({ url: variant.url, method: 'PATCH', headers, body, setupRequest, ...options })

    for (const variant of variants) {
      const { status, queries } = await queriesOf(variant.url, {
        method: 'PATCH',
        headers,
        body: describe(),
      })
      if (status !== 200) throw new Error(`PATCH ${variant.url} answered ${status}`)
      variant.queries = queries
    }
    for (const variant of variants) {
      await patch(variant, { duration: 1 })
    }
    const auditBefore = await auditRows(env)
    for (let round = 0; round < rounds; round++) {
      for (const variant of round % 2 ? [...variants].reverse() : variants) {
        variant.runs.push(await patch(variant, { duration, warmup: 0 }))
      }
    }
    const audited = (await auditRows(env)) - auditBefore

    const rowOf = (variant, runs, extra = {}) => {
      const ok = runs.reduce((sum, r) => sum + (r.statuses[200] ?? 0), 0)
      return {
        'variant': `${variant.name === 'plain' ? 'success       ' : 'successWithLog'} PATCH`,
        'req/s': runs.reduce((sum, r) => sum + r.rps, 0) / runs.length,
        'p50 ms': summarize(runs.map((r) => r.p50)).mean,
        'p95 ms': summarize(runs.map((r) => r.p95)).mean,
        'p99 ms': summarize(runs.map((r) => r.p99)).mean,
        '2xx': ok,
        'non-2xx': runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
        'queries': variant.queries,
        ...extra,
      }
    }
    const [plain, logged] = variants.map((variant) => rowOf(variant, variant.runs))
    const loss = (1 - logged['req/s'] / plain['req/s']) * 100
    plain['vs plain'] = '1.00x'
    logged['vs plain'] = ratio(logged['req/s'], plain['req/s'])
    printTable(`Maximum throughput (10 connections, ${rounds} x ${duration} s each, alternating)`, [
      plain,
      logged,
    ])

    const rate = Math.max(10, Math.floor(logged['req/s'] / 2 / 10) * 10)
    const fixed = []
    for (const variant of variants) {
      const result = await patch(variant, { duration, rate })
      fixed.push(rowOf(variant, [result]))
    }
    printTable(
      `Latency at a fixed ${rate} req/s (${duration} s each)`,
      fixed.map(({ variant, ...r }) => ({
        variant,
        'req/s': r['req/s'],
        'p50 ms': r['p50 ms'],
        'p95 ms': r['p95 ms'],
        'p99 ms': r['p99 ms'],
      }))
    )
    console.log(
      `  audit rows written during the throughput runs: ${audited} ` +
        `(successWithLog 2xx: ${logged['2xx']})`
    )
    console.log(
      `  target: audit <= ${TARGET_LOSS}% cost: ${loss.toFixed(1)}% ` +
        `(${loss <= TARGET_LOSS ? 'met' : 'NOT met'})`
    )
    return { plain, logged, fixed, rate, loss, audited }
  } finally {
    await web.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run({ quick: process.argv.includes('--quick') })
}
