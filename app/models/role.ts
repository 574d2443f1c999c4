import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import RolePermission from '#models/role_permission'
import { SYSTEM_ROLE_PERMISSIONS, type Permission, type SystemRole } from '#enums/permissions'
import { GuardsAccess } from '#models/mixins/guards_access'

/**
 * Built-in roles (no organization, permissions from code) are visible to
 * every organization; custom roles belong to one.
 */
export default class Role extends compose(BaseModel, TenantScoped, GuardsAccess) {
  static sharedRows = true

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare slug: string

  @column()
  declare name: string

  @column()
  declare description: string | null

  /** SQLite returns 0/1. */
  @column({ consume: (value: unknown) => Boolean(value) })
  declare isSystem: boolean

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @hasMany(() => RolePermission)
  declare grants: HasMany<typeof RolePermission>

  /**
   * Needs `grants` preloaded for custom roles.
   */
  get permissions(): Permission[] {
    if (this.isSystem) return SYSTEM_ROLE_PERMISSIONS[this.slug as SystemRole] ?? []
    return (this.grants ?? []).map((grant) => grant.permission)
  }
}
