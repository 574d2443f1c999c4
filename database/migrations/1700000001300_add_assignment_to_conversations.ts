import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The member a conversation is assigned to (set when an agent takes it
 * over). The index serves the inbox's "assigned to me / unassigned" lists,
 * most recently active first.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('conversations', (table) => {
      table
        .bigInteger('assigned_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.index(['organization_id', 'assigned_user_id', 'last_message_at'])
    })
  }

  async down() {
    this.schema.alterTable('conversations', (table) => {
      table.dropIndex(['organization_id', 'assigned_user_id', 'last_message_at'])
      table.dropForeign(['assigned_user_id'])
      table.dropColumn('assigned_user_id')
    })
  }
}
