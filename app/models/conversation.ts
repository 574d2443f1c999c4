import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Message from '#models/message'
import User from '#models/user'
import type { ConversationChannel, ConversationStatus, MessageRole } from '#enums/chatbots'

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

  /** SHA-256 of the visitor token of the public chat API (the token is never stored). */
  @column({ serializeAs: null })
  declare visitorTokenHash: string | null

  /** The member who took the conversation over (null: nobody). */
  @column()
  declare assignedUserId: number | null

  @column.dateTime()
  declare lastMessageAt: DateTime | null

  /** Who spoke last (`user`, `assistant`, `agent`; notes do not count): the inbox badge reads it. */
  @column()
  declare lastMessageRole: MessageRole | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Chatbot)
  declare chatbot: BelongsTo<typeof Chatbot>

  @belongsTo(() => Contact)
  declare contact: BelongsTo<typeof Contact>

  @belongsTo(() => User, { foreignKey: 'assignedUserId' })
  declare assignedUser: BelongsTo<typeof User>

  @hasMany(() => Message)
  declare messages: HasMany<typeof Message>
}
