import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import Conversation from '#models/conversation'
import { jsonColumn } from '#support/json_column'
import type { MessageRole, MessageStatus } from '#enums/chatbots'

/**
 * One message of a conversation. An assistant reply points at the message
 * it answers (`replyToId`, unique among assistant replies).
 */
export default class Message extends compose(BaseModel, TenantScoped) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare conversationId: number

  @column()
  declare role: MessageRole

  @column()
  declare content: string

  @column()
  declare status: MessageStatus

  @column()
  declare provider: string | null

  @column()
  declare latencyMs: number | null

  @column()
  declare promptTokens: number | null

  @column()
  declare completionTokens: number | null

  @column()
  declare error: string | null

  @column()
  declare replyToId: number | null

  /** For assistant replies: the knowledge chunks used (`{ chunks: [...] }`) and similar facts. */
  @column(jsonColumn<Record<string, unknown> | null>(null))
  declare meta: Record<string, unknown> | null

  /** The member who wrote an agent message. */
  @column()
  declare authorUserId: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Conversation)
  declare conversation: BelongsTo<typeof Conversation>
}
