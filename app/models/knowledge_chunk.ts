import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { TenantScoped } from '#models/mixins/tenant_scoped'
import KnowledgeSource from '#models/knowledge_source'

/**
 * A searchable piece of a knowledge source. The full-text index
 * (`search_vector` on PostgreSQL, `knowledge_chunks_fts` on SQLite) is
 * maintained by the database, not by this model.
 */
export default class KnowledgeChunk extends compose(BaseModel, TenantScoped) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare chatbotId: number

  @column()
  declare knowledgeSourceId: number

  @column()
  declare position: number

  /** An FAQ pair's question: weighted above the content when searching. */
  @column()
  declare heading: string | null

  @column()
  declare content: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => KnowledgeSource)
  declare knowledgeSource: BelongsTo<typeof KnowledgeSource>
}
