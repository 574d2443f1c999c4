/**
 * Scenario 3, the chat pipeline: raw BullMQ no-op jobs/s against Parley's
 * messages/s end to end (POST /api/v1/chatbots/:id/messages → `high`
 * queue → `queue:listen` worker → builtin responder → reply stored), then
 * ingest→reply latency at a fixed 200 msg/s, then lost and duplicated
 * messages. Own resources: database parley_bench_chat, Redis DB 9, queue
 * prefix parley-bench-chat, port 3460.
 *
 *   node bench/pipeline.mjs [--quick]         (or through bench/run.mjs)
 *   BENCH_CHAT_WORKERS=1  worker processes (default 1: on 2 cores a second one costs
 *                         more CPU per message than it adds; see bench/README.md)
 *   BENCH_CHAT_PROFILE=1  CPU profiles (<pid>.cpuprofile, see profile_summary.mjs)
 *                         and statement counts (<pid>.json) of the web and worker
 *                         processes in tmp/bench-chat-prof/
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import {
  DEMO_OWNER,
  ROOT,
  apiLogin,
  autocannonRun,
  benchEnv,
  machine,
  prepareDatabase,
  printTable,
  rssOf,
  startWeb,
} from './lib/index.mjs'
import { rawBullmq, redisConnection } from './pipeline/raw_bullmq.mjs'
import { startChatWorkers } from './pipeline/workers.mjs'
import { connect, lastMessageId, outcome, progress, tableStats } from './pipeline/db.mjs'
import { cpuRows, cpuSnapshot } from './lib/cpu.mjs'
import { cpus } from 'node:os'

const PORT = 3460
const FIXED_RATE = 200
const DRAIN_TIMEOUT_MS = 120_000
const TARGETS = { messagesPerSecond: 1000, p95Ms: 50 }
/** One question of the demo FAQ: every message is a new visitor's first message. */
const MESSAGE = { text: 'How do I create an API token?' }

/** The `high` queue's concurrency, read from config/queue.ts so the baseline follows it. */
function highConcurrency() {
  const source = readFileSync(join(ROOT, 'config/queue.ts'), 'utf8')
  const match = /concurrency:\s*\{\s*high:\s*(\d+)/.exec(source)
  if (!match) throw new Error('config/queue.ts: no concurrency.high found')
  return Number(match[1])
}

async function flushRedis(env) {
  const redis = new Redis(redisConnection(env))
  await redis.flushdb()
  await redis.quit()
}

/** Waits until every user message above `from` has its reply (or the timeout). */
async function drain(client, from) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS
  while (Date.now() < deadline) {
    const { messages, replies } = await progress(client, from)
    if (replies >= messages) return true
    await sleep(100)
  }
  return false
}

/** Vacuums and analyzes what the pipeline writes, so the next phase starts on a settled database. */
async function settle(client) {
  await client.query('VACUUM (ANALYZE) messages, conversations, contacts')
}

/** Per accepted message: table scans and rows written, transactions committed. */
function workPerMessage(before, after, messages) {
  const per = (value) => Math.round((value / messages) * 10) / 10
  const rows = Object.keys(after.tables)
    .map((table) => {
      const a = after.tables[table]
      const b = before.tables[table] ?? { scans: 0, inserted: 0, updated: 0, deleted: 0 }
      return {
        table,
        'scans (FK checks, loops)': per(a.scans - b.scans),
        'inserted': per(a.inserted - b.inserted),
        'updated': per(a.updated - b.updated),
        'deleted': per(a.deleted - b.deleted),
      }
    })
    .filter((row) => Object.values(row).some((value) => typeof value === 'number' && value > 0))
    .sort((x, y) => y['scans (FK checks, loops)'] - x['scans (FK checks, loops)'])
  rows.push({
    'table': 'transactions committed',
    'scans (FK checks, loops)': per(after.commits - before.commits),
  })
  return rows
}

async function phase(client, { name, load, pids }) {
  const from = await lastMessageId(client)
  const before = await tableStats(client)
  const cpuBefore = cpuSnapshot(pids)
  const started = Date.now()
  const api = await load()
  const ingestEnded = Date.now()
  const drained = await drain(client, from)
  const cpuAfter = cpuSnapshot(pids)
  const drainedAt = Date.now()
  await sleep(1500) // table statistics reach pg_stat_* within a second
  const to = await lastMessageId(client)
  const result = await outcome(client, from, to)
  const after = await tableStats(client)
  return {
    name,
    api,
    drained,
    ingestSeconds: (ingestEnded - started) / 1000,
    result,
    work: workPerMessage(before, after, result.messages),
    cpu: cpuRows(cpuBefore, cpuAfter, {
      units: result.messages,
      wallSeconds: (drainedAt - started) / 1000,
      cores: cpus().length,
    }),
  }
}

export async function run({ quick = false } = {}) {
  const seconds = { throughput: quick ? 5 : 30, latency: quick ? 5 : 20 }
  const workerCount = Number(process.env.BENCH_CHAT_WORKERS || 1)
  const profile = process.env.BENCH_CHAT_PROFILE === '1'
  const concurrency = highConcurrency()
  const env = benchEnv({
    DB_DATABASE: 'parley_bench_chat',
    REDIS_DB: '9',
    QUEUE_PREFIX: 'parley-bench-chat',
    PORT: String(PORT),
    APP_URL: `http://127.0.0.1:${PORT}`,
  })
  console.log(`\nChat pipeline — ${machine()}`)

  await prepareDatabase(env)
  await flushRedis(env)

  const raw = await rawBullmq({
    env,
    jobs: quick ? 5000 : 50_000,
    concurrency,
    processes: workerCount,
  })

  const profileDir = join(ROOT, 'tmp/bench-chat-prof')
  const profiled = profile
    ? {
        NODE_OPTIONS: ['cpu_profile.mjs', 'query_count.mjs']
          .map((file) => `--import=${join(ROOT, 'bench/pipeline', file)}`)
          .join(' '),
        BENCH_CPU_PROFILE_DIR: profileDir,
        BENCH_QUERY_COUNT_DIR: profileDir,
      }
    : {}
  const web = await startWeb({ env: { ...env, ...profiled }, port: PORT })
  const workers = await startChatWorkers({ ...env, ...profiled, NODE_ENV: web.mode }, workerCount)
  const client = await connect(env)
  try {
    const { token } = await apiLogin(web.url, DEMO_OWNER)
    const chatbots = await (
      await fetch(`${web.url}/api/v1/chatbots`, { headers: { authorization: `Bearer ${token}` } })
    ).json()
    const chatbot = chatbots.data.find((bot) => bot.status === 'active')
    const ingest = {
      url: `${web.url}/api/v1/chatbots/${chatbot.id}/messages`,
      method: 'POST',
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
      body: MESSAGE,
      warmup: 0,
    }
    const firstId = await lastMessageId(client)

    // JIT, pools and caches warm: a short paced run, answered before measuring.
    const pids = { web: [web.pid], workers: workers.pids }
    await phase(client, {
      name: 'warm-up',
      pids,
      load: () => autocannonRun({ ...ingest, connections: 10, rate: 100, duration: 3 }),
    })
    const throughput = await phase(client, {
      name: 'throughput',
      pids,
      load: () => autocannonRun({ ...ingest, connections: 50, duration: seconds.throughput }),
    })
    // The throughput run's rows are vacuumed now, not by autovacuum during the latency run.
    await settle(client)
    const latency = await phase(client, {
      name: 'latency',
      pids,
      load: () =>
        autocannonRun({
          ...ingest,
          connections: 20,
          rate: FIXED_RATE,
          duration: seconds.latency,
        }),
    })
    const memory = { web: rssOf(web.pid), workers: workers.pids.map(rssOf) }
    const all = await outcome(client, firstId, await lastMessageId(client))

    const endToEnd = throughput.result.messages / throughput.result.span_s
    const rows = [
      {
        'scenario': `raw BullMQ no-op (${workerCount} proc × ${concurrency})`,
        'jobs or msgs/s': raw.jobsPerSecond,
        'p50 ms': null,
        'p95 ms': null,
        'p99 ms': null,
        'ratio': '1.00x',
      },
      {
        'scenario': `Parley ingest API (${seconds.throughput} s, 50 conn)`,
        'jobs or msgs/s': throughput.api.rps,
        'p50 ms': throughput.api.p50,
        'p95 ms': throughput.api.p95,
        'p99 ms': throughput.api.p99,
        'ratio': share(throughput.api.rps, raw.jobsPerSecond),
      },
      {
        'scenario': 'Parley end to end (ingest→reply)',
        'jobs or msgs/s': endToEnd,
        'p50 ms': throughput.result.p50,
        'p95 ms': throughput.result.p95,
        'p99 ms': throughput.result.p99,
        'ratio': share(endToEnd, raw.jobsPerSecond),
      },
      {
        'scenario': `Parley at ${FIXED_RATE} msg/s: API`,
        'jobs or msgs/s': latency.api.rps,
        'p50 ms': latency.api.p50,
        'p95 ms': latency.api.p95,
        'p99 ms': latency.api.p99,
        'ratio': '',
      },
      {
        'scenario': `Parley at ${FIXED_RATE} msg/s: ingest→reply`,
        'jobs or msgs/s': latency.result.messages / latency.ingestSeconds,
        'p50 ms': latency.result.p50,
        'p95 ms': latency.result.p95,
        'p99 ms': latency.result.p99,
        'ratio': '',
      },
    ]
    printTable(
      `Chat pipeline: ${workerCount} worker process(es) × concurrency ${concurrency}, 1 web process`,
      rows
    )
    printTable('Chat pipeline: messages', [
      { run: 'throughput', ...counts(throughput) },
      { run: `${FIXED_RATE} msg/s`, ...counts(latency) },
      { run: 'whole bench (warm-up included)', ...counts({ result: all, drained: true }) },
    ])
    printTable('Chat pipeline: database work per message (throughput run)', throughput.work)
    printTable(
      'Chat pipeline: CPU per message, throughput run (from the first request to the last reply)',
      throughput.cpu
    )
    printTable(`Chat pipeline: CPU per message at ${FIXED_RATE} msg/s`, latency.cpu)
    const met = (ok) => (ok ? 'met' : 'NOT met')
    printTable('Chat pipeline: targets', [
      {
        target: `≥ ${TARGETS.messagesPerSecond} msgs/s end to end`,
        measured: `${Math.round(endToEnd)} msgs/s`,
        status: met(endToEnd >= TARGETS.messagesPerSecond),
      },
      {
        target: `ingest→reply p95 ≤ ${TARGETS.p95Ms} ms at ${FIXED_RATE} msg/s`,
        measured: `${Math.round(latency.result.p95)} ms`,
        status: met(latency.result.p95 <= TARGETS.p95Ms),
      },
      {
        target: '0 lost, 0 duplicated',
        measured: `${all.lost} lost, ${all.duplicated} duplicated`,
        status: met(all.lost === 0 && all.duplicated === 0),
      },
    ])
    console.log(
      `  raw BullMQ enqueue (addBulk): ${Math.round(raw.enqueuePerSecond)} jobs/s; ` +
        `RSS web ${memory.web} MB, workers ${memory.workers.join(' + ')} MB; ` +
        `web in ${web.mode} mode`
    )
    // Throughput is reported whatever it is; losing or duplicating a message is a bug.
    if (all.lost > 0 || all.duplicated > 0) {
      throw new Error(`${all.lost} message(s) lost, ${all.duplicated} duplicated`)
    }
    return rows
  } finally {
    await client.end()
    await workers.stop()
    await web.stop()
    if (profile) console.log(`  CPU profiles (web pid ${web.pid}): ${profileDir}`)
  }
}

/** `a / b` with two significant digits: the pipeline's ratios are far below 0.01x. */
const share = (a, b) => `${(a / b).toPrecision(2)}x`

function counts({ api, result, drained }) {
  const ok = api
    ? Object.entries(api.statuses)
        .filter(([status]) => status.startsWith('2'))
        .reduce((sum, [, count]) => sum + count, 0)
    : null
  return {
    'API 2xx': ok,
    'stored': result.messages,
    'answered': result.messages - result.lost,
    'lost': result.lost,
    'duplicated': result.duplicated,
    'failed (fallback)': result.failed,
    'drained': drained ? 'yes' : 'NO (timeout)',
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run({ quick: process.argv.includes('--quick') })
}
