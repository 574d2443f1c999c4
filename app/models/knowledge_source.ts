import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import { SoftDeletes } from '#models/mixins/soft_deletes'
import Chatbot from '#models/chatbot'
import KnowledgeChunk from '#models/knowledge_chunk'
import type { KnowledgeSourceStatus, KnowledgeSourceType } from '#enums/chatbots'

export default class KnowledgeSource extends compose(BaseModel, TenantScoped, SoftDeletes) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare chatbotId: number

  @column()
  declare type: KnowledgeSourceType

  @column()
  declare title: string

  @column()
  declare content: string | null

  @column()
  declare status: KnowledgeSourceStatus

  @column()
  declare chunkCount: number

  @column()
  declare error: string | null

  /** Indexing progress, 0–100 (100 once indexed). */
  @column()
  declare progress: number

  /** The name of the uploaded file, for `file` sources. */
  @column()
  declare fileName: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Chatbot)
  declare chatbot: BelongsTo<typeof Chatbot>

  @hasMany(() => KnowledgeChunk)
  declare chunks: HasMany<typeof KnowledgeChunk>
}
