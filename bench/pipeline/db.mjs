/**
 * What the chat bench reads back from PostgreSQL: the messages a phase
 * stored, their replies and timings, and how many table reads and writes
 * the database did (pg_stat_user_tables), to count work per message.
 */
import pg from 'pg'

export async function connect(env) {
  const client = new pg.Client({
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    user: env.DB_USER,
    password: env.DB_PASSWORD || undefined,
    database: env.DB_DATABASE,
  })
  await client.connect()
  return client
}

const one = async (client, sql, params = []) => (await client.query(sql, params)).rows[0]

/** The highest message id so far: a phase's messages are those above it. */
export async function lastMessageId(client) {
  const row = await one(client, 'select coalesce(max(id), 0)::bigint as id from messages')
  return Number(row.id)
}

/** User messages of a phase (ids in (from, to]) and how many are answered. */
export async function progress(client, from, to = Number.MAX_SAFE_INTEGER) {
  const row = await one(
    client,
    `select count(*)::int as messages,
            count(r.id)::int as replies
       from messages m
       left join messages r on r.reply_to_id = m.id and r.role = 'assistant'
      where m.role = 'user' and m.id > $1 and m.id <= $2`,
    [from, to]
  )
  return row
}

/**
 * A phase's outcome: ingest→reply latencies (reply.created_at −
 * message.created_at) in ms as p50/p95/p99, the span from the first
 * message to the last reply, lost (no reply), duplicated (more than one
 * reply) and failed (answered with the fallback after errors).
 */
export async function outcome(client, from, to) {
  const row = await one(
    client,
    `with answered as (
       select m.id, m.status, m.created_at,
              count(r.id) as replies,
              min(r.created_at) as replied_at
         from messages m
         left join messages r on r.reply_to_id = m.id and r.role = 'assistant'
        where m.role = 'user' and m.id > $1 and m.id <= $2
        group by m.id
     ), latencies as (
       select extract(epoch from replied_at - created_at) * 1000 as ms from answered
        where replies > 0
     )
     select (select count(*)::int from answered) as messages,
            (select count(*)::int from answered where replies = 0) as lost,
            (select count(*)::int from answered where replies > 1) as duplicated,
            (select count(*)::int from answered where status = 'failed') as failed,
            (select extract(epoch from max(replied_at) - min(created_at)) from answered) as span_s,
            (select percentile_cont(0.5) within group (order by ms) from latencies) as p50,
            (select percentile_cont(0.95) within group (order by ms) from latencies) as p95,
            (select percentile_cont(0.99) within group (order by ms) from latencies) as p99`,
    [from, to]
  )
  for (const key of ['span_s', 'p50', 'p95', 'p99']) row[key] = Number(row[key])
  return row
}

/** Sums of pg_stat_user_tables (scans, rows written) and committed transactions. */
export async function tableStats(client) {
  const tables = await client.query(
    `select relname as table,
            coalesce(seq_scan, 0) + coalesce(idx_scan, 0) as scans,
            n_tup_ins as inserted, n_tup_upd as updated, n_tup_del as deleted
       from pg_stat_user_tables`
  )
  const database = await one(
    client,
    'select xact_commit::bigint as commits from pg_stat_database where datname = current_database()'
  )
  return {
    commits: Number(database.commits),
    tables: Object.fromEntries(
      tables.rows.map((r) => [
        r.table,
        {
          scans: Number(r.scans),
          inserted: Number(r.inserted),
          updated: Number(r.updated),
          deleted: Number(r.deleted),
        },
      ])
    ),
  }
}
