import { DateTime } from 'luxon'
import AuditLog from '#models/audit_log'

export type AuditLogFilters = {
  action?: string
  user_id?: number
  status?: 'success' | 'error'
  from?: Date
  to?: Date
}

/**
 * Reading the audit trail (writing is AuditService's job).
 */
export default class AuditLogService {
  /**
   * Entries of the current organization (tenant scope), newest first. The
   * (organization_id, created_at) and (organization_id, action) indexes
   * serve these filters.
   */
  static query(filters: AuditLogFilters) {
    const query = AuditLog.query().orderBy('created_at', 'desc').orderBy('id', 'desc')
    if (filters.action?.endsWith('*')) query.whereLike('action', `${filters.action.slice(0, -1)}%`)
    else if (filters.action) query.where('action', filters.action)
    if (filters.user_id) query.where('actor_user_id', filters.user_id)
    if (filters.status) query.where('status', filters.status)
    if (filters.from) query.where('created_at', '>=', this.#format(filters.from))
    if (filters.to) query.where('created_at', '<=', this.#format(filters.to))
    return query
  }

  static #format(date: Date) {
    return DateTime.fromJSDate(date)
      .toUTC()
      .toFormat(AuditLog.query().client.dialect.dateTimeFormat)
  }
}
