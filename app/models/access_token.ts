import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import User from '#models/user'
import { GuardsAccess } from '#models/mixins/guards_access'

/**
 * Read side of the access tokens (listing, revoking). Tokens are created
 * and verified by OrganizationTokensProvider; the hash never leaves the
 * database.
 */
export default class AccessToken extends compose(BaseModel, TenantScoped, GuardsAccess) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column({ serializeAs: null })
  declare type: string

  @column()
  declare name: string | null

  @column({ serializeAs: null })
  declare hash: string

  @column({
    prepare: (value: string[]) => JSON.stringify(value),
    consume: (value: string) => JSON.parse(value),
  })
  declare abilities: string[]

  @column.dateTime()
  declare lastUsedAt: DateTime | null

  @column.dateTime()
  declare expiresAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>
}
