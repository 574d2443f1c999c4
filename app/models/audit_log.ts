import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { TenantScoped } from '#models/mixins/tenant_scoped'

export type AuditStatus = 'success' | 'error'

/**
 * One entry of the audit trail. Rows are written by AuditService only
 * (append-only); `changes` is already redacted when it gets here. Reading
 * is tenant-scoped like every tenant-owned model; the platform-wide log
 * (entries without an organization included) is read as platform code.
 */
export default class AuditLog extends compose(BaseModel, TenantScoped) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare actorUserId: number | null

  @column()
  declare actorTokenId: number | null

  @column()
  declare action: string

  @column()
  declare status: AuditStatus

  @column()
  declare httpStatus: number | null

  @column()
  declare message: string | null

  @column()
  declare errorCode: string | null

  @column()
  declare subjectType: string | null

  @column()
  declare subjectId: string | null

  @column()
  declare ip: string | null

  @column()
  declare userAgent: string | null

  @column()
  declare requestId: string | null

  @column()
  declare method: string | null

  @column()
  declare path: string | null

  @column()
  declare durationMs: number | null

  /**
   * PostgreSQL returns jsonb parsed; SQLite returns the JSON text.
   */
  @column({
    prepare: (value: unknown) =>
      value === null || value === undefined ? null : JSON.stringify(value),
    consume: (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value),
  })
  declare changes: Record<string, unknown> | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
