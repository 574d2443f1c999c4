import { BaseModel, column } from '@adonisjs/lucid/orm'
import type { Permission } from '#enums/permissions'
import { compose } from '@adonisjs/core/helpers'
import { GuardsAccess } from '#models/mixins/guards_access'

/**
 * One permission granted by a custom role (reached through its role, which
 * is tenant-scoped).
 */
export default class RolePermission extends compose(BaseModel, GuardsAccess) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare roleId: number

  @column()
  declare permission: Permission
}
