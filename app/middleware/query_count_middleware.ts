import { AsyncLocalStorage } from 'node:async_hooks'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import db from '@adonisjs/lucid/services/db'

/**
 * Benchmarks only (registered by start/routes/bench.ts when BENCH_ROUTES=true):
 * counts the SQL queries a request runs and answers them in `X-Query-Count`.
 * knex emits `query` for every statement of a connection, transactions
 * included, whatever Lucid's `debug` setting; the request is found through
 * its own async context.
 */
const requestQueries = new AsyncLocalStorage<{ count: number }>()
let listening = false

function listenToQueries() {
  if (listening) return
  listening = true
  const connection = db.connection()
  for (const client of new Set([connection.getWriteClient(), connection.getReadClient()])) {
    client.on('query', () => {
      const counter = requestQueries.getStore()
      if (counter) counter.count++
    })
  }
}

export default class QueryCountMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    listenToQueries()
    const counter = { count: 0 }
    await requestQueries.run(counter, () => next())
    ctx.response.header('X-Query-Count', String(counter.count))
  }
}
