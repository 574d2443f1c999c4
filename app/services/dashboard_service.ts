import { DateTime } from 'luxon'
import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import AccessToken from '#models/access_token'
import AuditLog from '#models/audit_log'
import Invitation from '#models/invitation'
import Membership from '#models/membership'
import Chatbot from '#models/chatbot'
import Conversation from '#models/conversation'
import Message from '#models/message'
import { ConversationStatus, MessageRole } from '#enums/chatbots'

export type DashboardFigures = {
  members: number
  pendingInvitations: number
  activeTokens: number
  auditToday: number
  auditLast7Days: number
  /** Oldest first: one entry per UTC day, today last. */
  auditPerDay: { date: string; count: number }[]
}

export type ChatbotFigures = {
  chatbots: number
  conversations: number
  messages: number
  /** Oldest first: one entry per UTC day, today last. */
  perDay: { date: string; conversations: number; messages: number }[]
  /** Conversations of the window that went to a human (handoff status or an agent's reply). */
  handoffs: number
  /** Assistant replies (welcome messages excluded) and those that were the fallback message. */
  replies: number
  fallbacks: number
  /** Shares from 0 to 1, null without conversations / replies. */
  handoffRate: number | null
  fallbackRate: number | null
  /** Median `latency_ms` of the window's assistant replies, null without any. */
  medianLatencyMs: number | null
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
   * Chatbot figures of the last 7 UTC days: four bounded queries on the
   * (organization_id, created_at) indexes of conversations and messages.
   */
  static async chatbotFigures(): Promise<ChatbotFigures> {
    const days = this.#days(DateTime.utc())
    const since = this.#format(days[0])
    const chatbots = await this.#count(Chatbot.query())

    const conversationsQuery = Conversation.query().where('created_at', '>=', since)
    this.#perDay(conversationsQuery, days)
    const conversationRow = await conversationsQuery
      .count('* as total')
      .select(
        conversationsQuery.client.raw(
          `sum(case when status = ? or exists (select 1 from messages as m where m.conversation_id = conversations.id and m.role = ?) then 1 else 0 end) as handoffs`,
          [ConversationStatus.Handoff, MessageRole.Agent]
        )
      )
      .pojo<Record<string, string | number | null>>()
      .then(([row]) => row ?? {})

    const messagesQuery = Message.query()
      .where('created_at', '>=', since)
      .whereNot('role', MessageRole.System)
    this.#perDay(messagesQuery, days)
    const messageRow = await messagesQuery
      .count('* as total')
      .select(
        messagesQuery.client.raw(
          `sum(case when role = ? and reply_to_id is not null then 1 else 0 end) as replies`,
          [MessageRole.Assistant]
        ),
        messagesQuery.client.raw(
          `sum(case when role = ? and reply_to_id is not null and ${this.#fallbackSql()} then 1 else 0 end) as fallbacks`,
          [MessageRole.Assistant]
        )
      )
      .pojo<Record<string, string | number | null>>()
      .then(([row]) => row ?? {})

    const conversations = Number(conversationRow.total ?? 0)
    const handoffs = Number(conversationRow.handoffs ?? 0)
    const replies = Number(messageRow.replies ?? 0)
    const fallbacks = Number(messageRow.fallbacks ?? 0)
    return {
      chatbots,
      conversations,
      messages: Number(messageRow.total ?? 0),
      perDay: days.map((day, index) => ({
        date: day.toISODate()!,
        conversations: Number(conversationRow[`day_${index}`] ?? 0),
        messages: Number(messageRow[`day_${index}`] ?? 0),
      })),
      handoffs,
      replies,
      fallbacks,
      handoffRate: conversations ? handoffs / conversations : null,
      fallbackRate: replies ? fallbacks / replies : null,
      medianLatencyMs: await this.#medianLatency(since),
    }
  }

  /**
   * The median of the window's reply latencies, in SQL: percentile_cont on
   * PostgreSQL; on SQLite (no percentile function) the middle one or two
   * values, read with an offset after counting them.
   */
  static async #medianLatency(since: string): Promise<number | null> {
    const replies = () =>
      Message.query()
        .where('created_at', '>=', since)
        .where('role', MessageRole.Assistant)
        .whereNotNull('reply_to_id')
        .whereNotNull('latency_ms')
    const query = replies()
    if (query.client.dialect.name === 'postgres') {
      const [row] = await query
        .select(
          query.client.raw('percentile_cont(0.5) within group (order by latency_ms) as median')
        )
        .pojo<{ median: string | number | null }>()
      return row?.median === null || row?.median === undefined ? null : Number(row.median)
    }
    const total = await this.#count(query)
    if (total === 0) return null
    const middle = await replies()
      .select('latency_ms')
      .orderBy('latency_ms')
      .offset(Math.floor((total - 1) / 2))
      .limit(total % 2 === 0 ? 2 : 1)
      .pojo<{ latency_ms: number }>()
    return middle.reduce((sum, row) => sum + Number(row.latency_ms), 0) / middle.length
  }

  /** Whether a message's meta says it was the fallback message (JSON true). */
  static #fallbackSql() {
    return Message.query().client.dialect.name === 'postgres'
      ? `(meta->>'fallback') = 'true'`
      : `json_extract(meta, '$.fallback') = 1`
  }

  /** The last DAYS UTC days, oldest first. */
  static #days(now: DateTime) {
    return Array.from({ length: DAYS }, (_, index) =>
      now.startOf('day').minus({ days: DAYS - 1 - index })
    )
  }

  /** Adds a conditional count per day (`day_0` … `day_6`) to an aggregate query. */
  static #perDay(query: ModelQueryBuilderContract<LucidModel>, days: DateTime[]) {
    days.forEach((day, index) => {
      query.select(
        query.client.raw(
          `sum(case when created_at >= ? and created_at < ? then 1 else 0 end) as ??`,
          [this.#format(day), this.#format(day.plus({ days: 1 })), `day_${index}`]
        )
      )
    })
  }

  /**
   * One row with a conditional count per day: a single index range scan on
   * (organization_id, created_at), the same SQL on PostgreSQL and SQLite.
   */
  static async #auditPerDay(now: DateTime) {
    const days = this.#days(now)
    const query = AuditLog.query().where('created_at', '>=', this.#format(days[0]))
    this.#perDay(query, days)
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
