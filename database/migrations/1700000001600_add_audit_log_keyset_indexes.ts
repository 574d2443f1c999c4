import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The audit log is read newest first (`created_at desc, id desc`), within
 * an organization and often for one action: these indexes hold that order,
 * so a keyset page (`?cursor=`) is a short index range at any depth, with
 * or without the action filter. They cover the `(organization_id, action)`
 * and `(organization_id, created_at)` ones they replace.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('audit_logs', (table) => {
      table.index(['organization_id', 'action', 'created_at', 'id'])
      table.index(['organization_id', 'created_at', 'id'])
      table.dropIndex(['organization_id', 'action'])
      table.dropIndex(['organization_id', 'created_at'])
    })
  }

  async down() {
    this.schema.alterTable('audit_logs', (table) => {
      table.index(['organization_id', 'created_at'])
      table.index(['organization_id', 'action'])
      table.dropIndex(['organization_id', 'created_at', 'id'])
      table.dropIndex(['organization_id', 'action', 'created_at', 'id'])
    })
  }
}
