import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Console sign-ins a user can see and end. A row is looked up by a hash of
 * the session id (the raw id would let anyone who reads the table take the
 * session over). `remember_me_token_id` is the remember-me token issued
 * with the session, deleted when the session is ended so the cookie
 * cannot sign the browser in again; no foreign key, because the guard
 * replaces that token on every remembered sign-in.
 */
export default class extends BaseSchema {
  protected tableName = 'user_sessions'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('user_id')
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.string('session_hash', 64).notNullable().unique()
      table.bigInteger('remember_me_token_id').nullable()
      table.string('ip', 45).nullable()
      table.string('user_agent', 512).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('last_seen_at', { useTz: true }).notNullable()
      table.timestamp('revoked_at', { useTz: true }).nullable()

      table.index(['user_id', 'revoked_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
