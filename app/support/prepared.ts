import db from '@adonisjs/lucid/services/db'

type Preparable = { knexQuery: { options(options: Record<string, unknown>): unknown } }

/**
 * Runs one of the chat pipeline's statements (several per message) as a
 * named prepared statement on PostgreSQL: parsed and planned once per
 * connection, its plan reused afterwards, where planning cost more than
 * running it. Two rules keep it safe: the SQL text under one name never
 * varies (only its bindings do), and the select or `returning` list names
 * its columns — with `*`, a migration adding a column would make the
 * prepared statement fail ("cached plan must not change result type")
 * until the connection closes. Other dialects ignore the name.
 */
export function prepared<Query extends Preparable>(name: string, query: Query): Query {
  if (db.connection().dialect.name === 'postgres') query.knexQuery.options({ name })
  return query
}
