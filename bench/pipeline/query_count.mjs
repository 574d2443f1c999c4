/**
 * Preloaded with NODE_OPTIONS=--import=<this file>: counts every statement
 * the process sends to PostgreSQL (the `pg` client the app loads, BEGIN,
 * COMMIT and savepoints included), by statement shape, and writes
 * <BENCH_QUERY_COUNT_DIR>/<pid>.json at exit.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const directory = process.env.BENCH_QUERY_COUNT_DIR
const pg = createRequire(join(process.cwd(), 'package.json'))('pg')
const counts = new Map()
const query = pg.Client.prototype.query

/** `select … from "messages" where …` → `select … from messages`: one shape per statement. */
function shapeOf(text) {
  const sql = text.replaceAll('"', '').replace(/\s+/g, ' ').trim()
  const verb = sql.split(' ')[0].toLowerCase()
  const table = /\b(?:from|into|update)\s+([a-z_]+)/i.exec(sql)?.[1] ?? ''
  const where = /\bwhere (.{0,60})/i.exec(sql)?.[1] ?? ''
  return `${verb} ${table} ${where}`.trim()
}

pg.Client.prototype.query = function (config, ...rest) {
  const text = typeof config === 'string' ? config : config?.text
  if (text) {
    const shape = shapeOf(text)
    counts.set(shape, (counts.get(shape) ?? 0) + 1)
  }
  return query.call(this, config, ...rest)
}

process.once('exit', () => {
  mkdirSync(directory, { recursive: true })
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0)
  const shapes = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]))
  writeFileSync(join(directory, `${process.pid}.json`), JSON.stringify({ total, shapes }, null, 1))
})
