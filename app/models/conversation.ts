import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Message from '#models/message'
import type { ConversationChannel, ConversationStatus } from '#enums/chatbots'

export default class Conversation extends compose(BaseModel, TenantScoped) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare chatbotId: number

  @column()
  declare contactId: number

  @column()
  declare channel: ConversationChannel

  @column()
  declare status: ConversationStatus

  @column.dateTime()
  declare lastMessageAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Chatbot)
  declare chatbot: BelongsTo<typeof Chatbot>

  @belongsTo(() => Contact)
  declare contact: BelongsTo<typeof Contact>

  @hasMany(() => Message)
  declare messages: HasMany<typeof Message>
}
