import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Indexes in the order the lists read (found by bench/scale.mjs's EXPLAIN):
 * the conversation list and the inbox page an organization's conversations
 * by `last_message_at desc, id desc`, which was a sequential scan and a
 * sort; a conversation's messages are paged by `id` within the
 * organization, which read every message of the conversation and sorted.
 * The new messages index covers the `(organization_id, conversation_id)`
 * one it replaces.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('conversations', (table) => {
      table.index(['organization_id', 'last_message_at', 'id'])
    })
    this.schema.alterTable('messages', (table) => {
      table.index(['organization_id', 'conversation_id', 'id'])
      table.dropIndex(['organization_id', 'conversation_id'])
    })
  }

  async down() {
    this.schema.alterTable('messages', (table) => {
      table.index(['organization_id', 'conversation_id'])
      table.dropIndex(['organization_id', 'conversation_id', 'id'])
    })
    this.schema.alterTable('conversations', (table) => {
      table.dropIndex(['organization_id', 'last_message_at', 'id'])
    })
  }
}
