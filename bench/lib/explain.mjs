/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements a request ran (from the
 * X-Query-Log the bench server sends), summarized: the plan's top node,
 * indexes used, sequential scans, time and buffers.
 */
import pg from 'pg'
import { postgresConfig } from '../../scripts/lib/postgres.mjs'

/** knex may report `?` placeholders: number them for pg. */
const numbered = (sql) => (/\$1\b/.test(sql) ? sql : sql.replace(/\?/g, () => `$${++numbered.n}`))

function walk(node, found) {
  if (node['Index Name']) found.indexes.add(node['Index Name'])
  if (node['Node Type'] === 'Seq Scan') found.seqScans.add(node['Relation Name'])
  for (const child of node.Plans ?? []) walk(child, found)
  return found
}

/** Explains each statement; returns [{ sql, node, indexes, seqScans, ms, hit, read }]. */
export async function explainAll(env, queries) {
  const client = new pg.Client(postgresConfig(env))
  await client.connect()
  try {
    const plans = []
    for (const { sql, bindings = [] } of queries) {
      numbered.n = 0
      const values = bindings.map((value) =>
        value !== null && typeof value === 'object' ? JSON.stringify(value) : value
      )
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${numbered(sql)}`,
        values
      )
      const [{ 'Plan': plan, 'Execution Time': ms }] = rows[0]['QUERY PLAN']
      const found = walk(plan, { indexes: new Set(), seqScans: new Set() })
      plans.push({
        sql,
        node: plan['Node Type'],
        indexes: [...found.indexes],
        seqScans: [...found.seqScans],
        ms,
        hit: plan['Shared Hit Blocks'],
        read: plan['Shared Read Blocks'],
      })
    }
    return plans
  } finally {
    await client.end()
  }
}
