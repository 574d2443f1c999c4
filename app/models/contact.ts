import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import Conversation from '#models/conversation'
import { jsonColumn } from '#support/json_column'

/**
 * An end user a chatbot talks to, known by the organization's own id for
 * them (`external_id`) when it has one.
 */
export default class Contact extends compose(BaseModel, TenantScoped) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare externalId: string | null

  @column()
  declare name: string | null

  @column()
  declare email: string | null

  @column(jsonColumn<Record<string, unknown>>({}))
  declare metadata: Record<string, unknown>

  @column.dateTime()
  declare firstSeenAt: DateTime

  @column.dateTime()
  declare lastSeenAt: DateTime

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @hasMany(() => Conversation)
  declare conversations: HasMany<typeof Conversation>
}
