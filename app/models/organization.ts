import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { SoftDeletes } from '#models/mixins/soft_deletes'
import Membership from '#models/membership'
import { GuardsAccess } from '#models/mixins/guards_access'

export type OrganizationStatus = 'active' | 'suspended'

/**
 * A tenant. Not tenant-scoped itself: it is what the scope points at.
 */
export default class Organization extends compose(BaseModel, SoftDeletes, GuardsAccess) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare name: string

  @column()
  declare slug: string

  @column()
  declare status: OrganizationStatus

  @column()
  declare plan: string

  @column({
    prepare: (value: unknown) =>
      value === null || value === undefined ? null : JSON.stringify(value),
    consume: (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : (value ?? {})),
  })
  declare settings: Record<string, unknown>

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @hasMany(() => Membership)
  declare memberships: HasMany<typeof Membership>

  get isSuspended() {
    return this.status === 'suspended'
  }
}
