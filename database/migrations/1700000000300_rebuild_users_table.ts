import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The users table created with the auth package was a placeholder that no
 * code could write to; it is replaced by the global identity table.
 * Emails are stored lowercased, so the unique index is case-insensitive.
 */
export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.dropTable(this.tableName)
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table.string('name', 120).notNullable()
      table.string('email', 254).notNullable().unique()
      table.string('password', 255).notNullable()
      table.boolean('is_super_admin').notNullable().defaultTo(false)
      table.string('status', 16).notNullable().defaultTo('active')
      table.timestamp('email_verified_at', { useTz: true }).nullable()
      table.timestamp('last_login_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.timestamp('deleted_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id').notNullable()
      table.string('full_name').nullable()
      table.string('email', 254).notNullable().unique()
      table.string('password').notNullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }
}
