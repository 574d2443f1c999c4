/**
 * Scenario 4, scale: the list endpoints on a near-empty database (50
 * conversations, 1,000 messages, 200 audit entries: full pages) and then with the scale volume seeded (1M messages over
 * 10k conversations, 100k audit entries; --quick 50k / 10k): latency at a
 * fixed rate, the ratio seeded/empty, page 1 versus a deep page (keyset
 * cursor, or offset where the endpoint pages by number), and EXPLAIN
 * (ANALYZE, BUFFERS) of the statements behind each endpoint.
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
  shortSql,
  startWeb,
} from './lib/index.mjs'
import { explainAll } from './lib/explain.mjs'
import { scaleOptions, seedScale } from './seed_scale.mjs'

const PORT = 3451
/** AuditLogService.countCap: how deep the audit log's numbered pages go. */
const AUDIT_COUNT_CAP = 10_000
/** Statements about auth and tenancy are the HTTP floor's business, not this scenario's. */
const DATA_TABLES = /\b(conversations|messages|audit_logs|contacts)\b/

/** Paths of the endpoints, deep pages located from the data itself. */
async function endpoints(env) {
  const client = new pg.Client(postgresConfig(env))
  await client.connect()
  try {
    const count = Number((await client.query('SELECT count(*) FROM conversations')).rows[0].count)
    const deep = await client.query(
      `SELECT id, last_message_at FROM conversations
       ORDER BY last_message_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [Math.floor(count * 0.9)]
    )
    const cursor = Buffer.from(
      `${deep.rows[0].last_message_at.getTime()}.${deep.rows[0].id}`
    ).toString('base64url')
    // The busiest conversation, scrolled back to its first tenth.
    const busiest = await client.query(
      `SELECT conversation_id AS id, count(*)::int AS n, min(id) AS first, max(id) AS last
       FROM messages GROUP BY conversation_id ORDER BY n DESC, conversation_id LIMIT 1`
    )
    const conv = busiest.rows[0]
    const before = conv.first + Math.floor((conv.last - conv.first) / 10)
    const audit = Number(
      (await client.query("SELECT count(*) FROM audit_logs WHERE action = 'chatbot.updated'"))
        .rows[0].count
    )
    // Numbered pages stop at the first AUDIT_COUNT_CAP entries (deeper: 422, use the cursor).
    const deepAuditPage = Math.max(1, Math.floor((Math.min(audit * 0.9, AUDIT_COUNT_CAP) - 1) / 20))
    // The same depth by keyset: the cursor of the entry 90% down the filtered log.
    const deepAudit = await client.query(
      `SELECT id, created_at FROM audit_logs WHERE action = 'chatbot.updated'
       ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [Math.max(0, Math.floor(audit * 0.9) - 1)]
    )
    const auditCursor = deepAudit.rows[0]
      ? Buffer.from(`${deepAudit.rows[0].created_at.getTime()}.${deepAudit.rows[0].id}`).toString(
          'base64url'
        )
      : ''
    return [
      { name: 'GET /api/v1/conversations (page 1)', path: '/api/v1/conversations?limit=20' },
      {
        name: 'GET /api/v1/conversations (cursor, 90% deep)',
        path: `/api/v1/conversations?limit=20&cursor=${cursor}`,
      },
      {
        name: `GET /api/v1/conversations/:id (latest 50)`,
        path: `/api/v1/conversations/${conv.id}`,
      },
      {
        name: `GET /api/v1/conversations/:id (?before, 10% in)`,
        path: `/api/v1/conversations/${conv.id}?before=${before}`,
      },
      {
        name: 'GET /api/v1/audit-logs?action= (page 1)',
        path: '/api/v1/audit-logs?action=chatbot.updated&per_page=20',
      },
      {
        name: `GET /api/v1/audit-logs?action= (page ${deepAuditPage})`,
        path: `/api/v1/audit-logs?action=chatbot.updated&per_page=20&page=${deepAuditPage}`,
      },
      {
        name: 'GET /api/v1/audit-logs?action= (keyset, first)',
        path: '/api/v1/audit-logs?action=chatbot.updated&limit=20',
      },
      {
        name: 'GET /api/v1/audit-logs?action= (keyset, 90% deep)',
        path: `/api/v1/audit-logs?action=chatbot.updated&limit=20&cursor=${auditCursor}`,
      },
      {
        name: 'GET /audit-logs?action= (console, first)',
        path: '/audit-logs?action=chatbot.updated',
        console: true,
      },
      {
        name: 'GET /audit-logs?action= (console, 90% deep)',
        path: `/audit-logs?action=chatbot.updated&cursor=${auditCursor}`,
        console: true,
      },
      { name: 'GET /conversations (console inbox)', path: '/conversations', console: true },
    ]
  } finally {
    await client.end()
  }
}

async function measure(env, web, credentials, duration, rate) {
  const results = []
  for (const endpoint of await endpoints(env)) {
    const headers = endpoint.console ? { cookie: credentials.cookie } : credentials.auth
    const { status, queries, log } = await queriesOf(web.url + endpoint.path, { headers })
    if (status !== 200) throw new Error(`${endpoint.path} answered ${status}`)
    const result = await autocannonRun({ url: web.url + endpoint.path, headers, duration, rate })
    const data = log.filter(({ sql }) => DATA_TABLES.test(sql))
    results.push({ ...endpoint, result, queries, plans: await explainAll(env, data) })
  }
  return results
}

export async function run({ quick = false, argv = [] } = {}) {
  const duration = quick ? 2 : 10
  const rate = quick ? 20 : 50
  const volume = scaleOptions(quick ? [...argv, '--quick'] : argv)
  const env = benchEnv({
    DB_DATABASE: `${process.env.BENCH_DB || 'parley_bench'}_scale`,
    PORT: String(PORT),
    APP_URL: `http://127.0.0.1:${PORT}`,
  })
  console.log(`\nScenario 4: scale — ${machine()}`)
  await prepareDatabase(env)
  const web = await startWeb({ env, port: PORT })
  try {
    const credentials = await fixture(web.url)
    // "Empty": a few pages of everything, so each endpoint shows as many rows
    // as on the seeded database and only the volume behind them differs.
    await seedScale(env, { messages: 1000, audit: 200, conversations: 50 })
    const empty = await measure(env, web, credentials, duration, rate)

    const seeded = await seedScale(env, volume)
    console.log(
      `  seeded ${seeded.messages.toLocaleString('en-US')} messages over ` +
        `${seeded.conversations.toLocaleString('en-US')} conversations and ` +
        `${seeded.audit.toLocaleString('en-US')} audit entries in ${seeded.seconds.toFixed(1)} s`
    )
    const full = await measure(env, web, credentials, duration, rate)

    printTable(
      `Latency at a fixed ${rate} req/s, near-empty vs seeded database (${duration} s each)`,
      full.map((after, i) => {
        const before = empty[i].result
        return {
          'endpoint': after.name,
          'empty p50': before.p50,
          'empty p95': before.p95,
          'seeded p50': after.result.p50,
          'seeded p95': after.result.p95,
          'seeded p99': after.result.p99,
          'p95 ratio': ratio(after.result.p95, before.p95),
          'non-2xx': after.result.non2xx + after.result.errors,
          'queries': after.queries,
        }
      })
    )
    printTable(
      'EXPLAIN (ANALYZE, BUFFERS) on the seeded database: the data statements of each endpoint',
      full.flatMap((endpoint) =>
        endpoint.plans.map((plan) => ({
          'endpoint': endpoint.name,
          'top node': plan.node,
          'index used': plan.indexes.length ? `yes: ${plan.indexes.join(', ')}` : 'no',
          'seq scan': plan.seqScans.join(', ') || '-',
          'exec ms': plan.ms,
          'buffers': plan.hit + plan.read,
        }))
      )
    )
    console.log('\nStatements explained:')
    for (const endpoint of full) {
      console.log(`  ${endpoint.name}`)
      endpoint.plans.forEach((plan) => console.log(`    ${shortSql(plan.sql, 150)}`))
    }
    return { empty, full, seeded, rate }
  } finally {
    await web.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2)
  await run({ quick: argv.includes('--quick'), argv })
}
