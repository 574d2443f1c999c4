import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Single-use secrets sent by mail: invitations to an organization, and
 * password-reset / email-verification tokens. Only hashes are stored.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('invitations', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .notNullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table.string('email', 254).notNullable()
      table.bigInteger('role_id').notNullable().references('id').inTable('roles')
      table
        .bigInteger('invited_by_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.string('token_hash', 128).notNullable().unique()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.timestamp('accepted_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()

      table.index(['organization_id', 'email'])
    })

    this.schema.createTable('user_tokens', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('user_id')
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.string('purpose', 32).notNullable()
      table.string('token_hash', 128).notNullable().unique()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.timestamp('used_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()

      table.index(['user_id', 'purpose'])
    })
  }

  async down() {
    this.schema.dropTable('user_tokens')
    this.schema.dropTable('invitations')
  }
}
