import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Roles: the built-in ones (organization_id null, permissions defined in
 * code by app/enums/permissions.ts) and custom roles per organization whose
 * permissions are rows of role_permissions.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('roles', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('organization_id')
        .nullable()
        .references('id')
        .inTable('organizations')
        .onDelete('CASCADE')
      table.string('slug', 64).notNullable()
      table.string('name', 100).notNullable()
      table.string('description', 500).nullable()
      table.boolean('is_system').notNullable().defaultTo(false)
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()

      table.unique(['organization_id', 'slug'])
    })

    this.schema.createTable('role_permissions', (table) => {
      table.bigIncrements('id')
      table
        .bigInteger('role_id')
        .notNullable()
        .references('id')
        .inTable('roles')
        .onDelete('CASCADE')
      table.string('permission', 64).notNullable()

      table.unique(['role_id', 'permission'])
    })

    this.defer(async (db) => {
      const now = new Date().toISOString()
      await db.table('roles').multiInsert(
        [
          ['owner', 'Owner', 'Everything, including billing and deleting the organization'],
          ['admin', 'Admin', 'Everything except billing and deleting the organization'],
          ['agent', 'Agent', 'Sees chatbots, reads and answers conversations'],
          ['viewer', 'Viewer', 'Read-only access'],
        ].map(([slug, name, description]) => ({
          organization_id: null,
          slug,
          name,
          description,
          is_system: true,
          created_at: now,
          updated_at: now,
        }))
      )
    })
  }

  async down() {
    this.schema.dropTable('role_permissions')
    this.schema.dropTable('roles')
  }
}
