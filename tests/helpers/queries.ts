import db from '@adonisjs/lucid/services/db'

/**
 * The SQL statements the database connection runs while `work` does
 * (knex's `query` event, also fired for statements inside transactions).
 */
export async function statementsDuring(work: () => Promise<unknown>) {
  const statements: string[] = []
  const client = db.connection().getWriteClient().client
  const listener = (query: { sql: string }) => statements.push(query.sql)
  client.on('query', listener)
  try {
    await work()
  } finally {
    client.off('query', listener)
  }
  return statements
}
