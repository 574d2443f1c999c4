import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { randomBytes } from 'node:crypto'
import { BaseModel, beforeCreate, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import { SoftDeletes } from '#models/mixins/soft_deletes'
import KnowledgeSource from '#models/knowledge_source'
import Conversation from '#models/conversation'
import { jsonColumn } from '#support/json_column'
import { encryptedJsonColumn } from '#support/encrypted_column'
import type { ChatbotStatus, ProviderType } from '#enums/chatbots'

export type ProviderSettings = Record<string, string | number | boolean | null>

export default class Chatbot extends compose(BaseModel, TenantScoped, SoftDeletes) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare name: string

  @column()
  declare description: string | null

  @column()
  declare status: ChatbotStatus

  @column()
  declare providerType: ProviderType

  /**
   * Encrypted at rest as a whole (with the app key), so a database dump
   * holds no provider secret. Never serialized: responses go through
   * ChatbotService.present, which only says which secrets are set.
   */
  @column({ serializeAs: null, ...encryptedJsonColumn<ProviderSettings>() })
  declare providerSettings: ProviderSettings

  @column()
  declare systemPrompt: string | null

  @column()
  declare welcomeMessage: string | null

  @column()
  declare fallbackMessage: string | null

  @column({ consume: (value: unknown) => Number(value) })
  declare temperature: number

  @column()
  declare maxReplyTokens: number

  @column()
  declare publicKey: string

  @column(jsonColumn<string[]>([]))
  declare allowedOrigins: string[]

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /**
   * The widget's identifier: public, random and unguessable, so a chatbot's
   * id never has to appear in a customer's web page.
   */
  @beforeCreate()
  static assignPublicKey(chatbot: Chatbot) {
    chatbot.publicKey = `pk_${randomBytes(18).toString('base64url')}`
  }

  @hasMany(() => KnowledgeSource)
  declare knowledgeSources: HasMany<typeof KnowledgeSource>

  @hasMany(() => Conversation)
  declare conversations: HasMany<typeof Conversation>
}
