import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { TenantScoped } from '#models/mixins/tenant_scoped'

/**
 * A message accepted but not yet on the queue. Written in the message's own
 * transaction and deleted once its job is enqueued; the sweeper enqueues
 * what is left (see ChatPipeline).
 */
export default class ChatOutbox extends compose(BaseModel, TenantScoped) {
  static table = 'chat_outbox'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare messageId: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
