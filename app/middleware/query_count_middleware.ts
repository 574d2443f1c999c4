import { AsyncLocalStorage } from 'node:async_hooks'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import db from '@adonisjs/lucid/services/db'

type Query = { sql: string; bindings?: unknown[] }

/**
 * Benchmarks only (registered by start/routes/bench.ts when BENCH_ROUTES=true):
 * counts the SQL queries a request runs and answers them in `X-Query-Count`;
 * a request sending `X-Query-Log: 1` also gets the statements and their
 * bindings (JSON, base64url) in `X-Query-Log`, for bench/ to EXPLAIN them.
 * knex emits `query` for every statement of a connection, transactions
 * included, whatever Lucid's `debug` setting; the request is found through
 * its own async context.
 */
const requestQueries = new AsyncLocalStorage<{ queries: Query[] }>()
let listening = false

function listenToQueries() {
  if (listening) return
  listening = true
  const connection = db.connection()
  for (const client of new Set([connection.getWriteClient(), connection.getReadClient()])) {
    client.on('query', ({ sql, bindings }: Query) => {
      requestQueries.getStore()?.queries.push({ sql, bindings })
    })
  }
}

export default class QueryCountMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    listenToQueries()
    const store = { queries: [] as Query[] }
    await requestQueries.run(store, () => next())
    ctx.response.header('X-Query-Count', String(store.queries.length))
    if (ctx.request.header('x-query-log') === '1') {
      const log = Buffer.from(JSON.stringify(store.queries)).toString('base64url')
      ctx.response.header('X-Query-Log', log)
    }
  }
}
