import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The dashboard's chatbot figures read an organization's messages of the
 * last days: one index range scan instead of all its messages.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('messages', (table) => {
      table.index(['organization_id', 'created_at'])
    })
  }

  async down() {
    this.schema.alterTable('messages', (table) => {
      table.dropIndex(['organization_id', 'created_at'])
    })
  }
}
