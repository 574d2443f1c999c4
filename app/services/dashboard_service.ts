import { DateTime } from 'luxon'
import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import AccessToken from '#models/access_token'
import AuditLog from '#models/audit_log'
import Invitation from '#models/invitation'
import Membership from '#models/membership'

export type DashboardFigures = {
  members: number
  pendingInvitations: number
  activeTokens: number
  auditToday: number
  auditLast7Days: number
  /** Oldest first: one entry per UTC day, today last. */
  auditPerDay: { date: string; count: number }[]
}

const DAYS = 7

/**
 * The figures of the current organization's dashboard (tenant scope).
 * Days are UTC days.
 */
export default class DashboardService {
  static async figures(): Promise<DashboardFigures> {
    const now = DateTime.utc()
    // One after the other: a request holds one connection at a time.
    const members = await this.#count(Membership.query().where('status', 'active'))
    const pendingInvitations = await this.#count(
      Invitation.query().whereNull('accepted_at').where('expires_at', '>', this.#format(now))
    )
    const activeTokens = await this.#count(
      AccessToken.query().where((query) =>
        query.whereNull('expires_at').orWhere('expires_at', '>', this.#format(now))
      )
    )
    const auditPerDay = await this.#auditPerDay(now)
    return {
      members,
      pendingInvitations,
      activeTokens,
      auditToday: auditPerDay[auditPerDay.length - 1].count,
      auditLast7Days: auditPerDay.reduce((sum, day) => sum + day.count, 0),
      auditPerDay,
    }
  }

  /**
   * One row with a conditional count per day: a single index range scan on
   * (organization_id, created_at), the same SQL on PostgreSQL and SQLite.
   */
  static async #auditPerDay(now: DateTime) {
    const days = Array.from({ length: DAYS }, (_, index) =>
      now.startOf('day').minus({ days: DAYS - 1 - index })
    )
    const query = AuditLog.query().where('created_at', '>=', this.#format(days[0]))
    days.forEach((day, index) => {
      query.select(
        query.client.raw(
          `sum(case when created_at >= ? and created_at < ? then 1 else 0 end) as ??`,
          [this.#format(day), this.#format(day.plus({ days: 1 })), `day_${index}`]
        )
      )
    })
    const [row] = await query.pojo<Record<string, string | number | null>>()
    return days.map((day, index) => ({
      date: day.toISODate()!,
      count: Number(row?.[`day_${index}`] ?? 0),
    }))
  }

  static async #count(query: ModelQueryBuilderContract<LucidModel>) {
    const [row] = await query.count('* as total').pojo<{ total: string | number }>()
    return Number(row?.total ?? 0)
  }

  static #format(date: DateTime) {
    return date.toFormat(AuditLog.query().client.dialect.dateTimeFormat)
  }
}
