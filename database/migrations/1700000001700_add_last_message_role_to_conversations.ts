import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Who spoke last in a conversation (`user`, `assistant` or `agent`; internal
 * notes do not count), kept by the services that add messages. The console's
 * inbox badge — conversations in handoff where the customer spoke last — was
 * a subquery per conversation on every console page (bench/README.md, scale);
 * with this column it is an index count.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('conversations', (table) => {
      table.string('last_message_role', 20).nullable()
      table.index(['organization_id', 'status', 'last_message_role'])
    })
    this.defer(async (db) => {
      await db.rawQuery(
        `update conversations set last_message_role = (
           select m.role from messages m
           where m.conversation_id = conversations.id and m.role <> 'system'
           order by m.id desc limit 1)`
      )
    })
  }

  async down() {
    this.schema.alterTable('conversations', (table) => {
      table.dropIndex(['organization_id', 'status', 'last_message_role'])
      table.dropColumn('last_message_role')
    })
  }
}
