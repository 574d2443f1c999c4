import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Append-only audit trail. No foreign keys: entries outlive the users,
 * tokens and organizations they mention.
 */
export default class extends BaseSchema {
  protected tableName = 'audit_logs'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table.bigInteger('organization_id').nullable()
      table.bigInteger('actor_user_id').nullable()
      table.bigInteger('actor_token_id').nullable()
      table.string('action', 100).notNullable()
      table.string('status', 16).notNullable()
      table.smallint('http_status').nullable()
      table.string('message', 500).nullable()
      table.string('error_code', 64).nullable()
      table.string('subject_type', 100).nullable()
      table.string('subject_id', 64).nullable()
      table.string('ip', 64).nullable()
      table.string('user_agent', 512).nullable()
      table.string('request_id', 128).nullable()
      table.string('method', 10).nullable()
      table.string('path', 2048).nullable()
      table.integer('duration_ms').nullable()
      table.jsonb('changes').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()

      table.index(['organization_id', 'created_at'])
      table.index(['organization_id', 'action'])
      table.index(['request_id'])
      table.index(['created_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
