import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A message waiting for its reply is its own outbox: the sweeper finds
 * unanswered messages without a job by their status, so the `chat_outbox`
 * row written with each message and deleted after its enqueue (two writes
 * per message) goes. Rows still there need nothing: their messages are
 * pending, which is what the sweeper looks for now.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.dropTable('chat_outbox')
  }

  async down() {
    this.schema.createTable('chat_outbox', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table
        .bigInteger('message_id')
        .notNullable()
        .unique()
        .references('id')
        .inTable('messages')
        .onDelete('CASCADE')
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.index(['created_at'])
    })
  }
}
