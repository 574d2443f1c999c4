import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The people chatbots talk to, their conversations and messages. Messages
 * grow to tens of millions of rows: they are read by keyset pagination on
 * (conversation_id, id), never by offset; see the README's scaling section
 * for the partitioning plan.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('contacts', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table.string('external_id', 191).nullable()
      table.string('name', 120).nullable()
      table.string('email', 254).nullable()
      table.jsonb('metadata').nullable()
      table.timestamp('first_seen_at', { useTz: true }).notNullable()
      table.timestamp('last_seen_at', { useTz: true }).notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()

      table.unique(['organization_id', 'external_id'])
      table.index(['organization_id', 'email'])
      table.index(['organization_id', 'last_seen_at'])
    })

    this.schema.createTable('conversations', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table
        .bigInteger('chatbot_id')
        .notNullable()
        .references('id')
        .inTable('chatbots')
        .onDelete('CASCADE')
      table
        .bigInteger('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table.string('channel', 16).notNullable()
      table.string('status', 16).notNullable().defaultTo('open')
      table.timestamp('last_message_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()

      table.index(['organization_id', 'chatbot_id', 'last_message_at'])
      table.index(['organization_id', 'status', 'last_message_at'])
      table.index(['organization_id', 'contact_id', 'last_message_at'])
      table.index(['organization_id', 'created_at'])
      table.index(['chatbot_id'])
      table.index(['contact_id'])
    })

    this.schema.createTable('messages', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table
        .bigInteger('conversation_id')
        .notNullable()
        .references('id')
        .inTable('conversations')
        .onDelete('CASCADE')
      table.string('role', 16).notNullable()
      table.text('content').notNullable()
      table.string('status', 16).notNullable()
      table.string('provider', 16).nullable()
      table.integer('latency_ms').nullable()
      table.integer('prompt_tokens').nullable()
      table.integer('completion_tokens').nullable()
      table.string('error', 1000).nullable()
      table
        .bigInteger('reply_to_id')
        .nullable()
        .references('id')
        .inTable('messages')
        .onDelete('SET NULL')
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()

      table.index(['conversation_id', 'id'])
      table.index(['organization_id', 'conversation_id'])
      // The sweeper's scan for messages left pending, across organizations.
      table.index(['status', 'created_at'])
    })

    // One assistant reply per inbound message, whatever the job does twice.
    this.schema.raw(
      "create unique index messages_assistant_reply_unique on messages (reply_to_id) where role = 'assistant'"
    )
  }

  async down() {
    this.schema.dropTable('messages')
    this.schema.dropTable('conversations')
    this.schema.dropTable('contacts')
  }
}
