import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { DateTime } from 'luxon'
import type { Infer } from '@vinejs/vine/types'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import type User from '#models/user'
import type { AuditedChange } from '#services/audit_service'
import RealtimeService from '#services/realtime_service'
import { sqlTime } from '#support/sql_time'
import { isUniqueViolation } from '#support/db_errors'
import { ConversationStatus, MessageRole, MessageStatus } from '#enums/chatbots'
import type { contactValidator, listConversationsValidator } from '#validators/conversation'
import { afterCursor, encodeCursor } from '#support/keyset'

export type ContactInput = Infer<typeof contactValidator>
type ConversationFilters = Infer<typeof listConversationsValidator>

export const DEFAULT_PAGE = 25
export const MAX_PAGE = 100

export function presentContact(contact: Contact) {
  return {
    id: Number(contact.id),
    external_id: contact.externalId,
    name: contact.name,
    email: contact.email,
    metadata: contact.metadata ?? {},
    first_seen_at: contact.firstSeenAt.toISO(),
    last_seen_at: contact.lastSeenAt.toISO(),
  }
}

export function presentConversation(conversation: Conversation) {
  return {
    id: Number(conversation.id),
    chatbot_id: Number(conversation.chatbotId),
    contact_id: Number(conversation.contactId),
    contact: conversation.contact ? presentContact(conversation.contact) : undefined,
    channel: conversation.channel,
    status: conversation.status,
    assigned_user_id:
      conversation.assignedUserId === null || conversation.assignedUserId === undefined
        ? null
        : Number(conversation.assignedUserId),
    last_message_at: conversation.lastMessageAt?.toISO() ?? null,
    created_at: conversation.createdAt.toISO(),
    updated_at: conversation.updatedAt.toISO(),
  }
}

/**
 * A message as members see it (API, console, member SSE channels).
 */
export function presentMessage(message: Message) {
  return {
    id: Number(message.id),
    conversation_id: Number(message.conversationId),
    role: message.role,
    content: message.content,
    status: message.status,
    reply_to_id: message.replyToId === null ? null : Number(message.replyToId),
    author_user_id: message.authorUserId === null ? null : Number(message.authorUserId),
    provider: message.provider,
    latency_ms: message.latencyMs,
    prompt_tokens: message.promptTokens,
    completion_tokens: message.completionTokens,
    error: message.error,
    meta: message.meta ?? {},
    created_at: message.createdAt.toISO(),
    updated_at: message.updatedAt.toISO(),
  }
}

/**
 * A message as a visitor of the public chat API sees it: no provider,
 * tokens, errors, authors or knowledge used.
 */
export function presentPublicMessage(message: Message) {
  return {
    id: Number(message.id),
    role: message.role,
    content: message.content,
    status: message.status,
    reply_to_id: message.replyToId === null ? null : Number(message.replyToId),
    created_at: message.createdAt.toISO(),
  }
}

/**
 * Visitor tokens of the public chat API: `vt_` + 32 random bytes, given
 * once when the conversation starts; only their SHA-256 is stored.
 */
export const VisitorTokens = {
  issue() {
    const token = `vt_${randomBytes(32).toString('base64url')}`
    return { token, hash: VisitorTokens.hash(token) }
  },
  hash(token: string) {
    return createHash('sha256').update(token).digest('hex')
  },
  matches(token: string | null | undefined, hash: string | null) {
    if (!token || !hash || token.length > 200) return false
    const given = Buffer.from(VisitorTokens.hash(token), 'hex')
    const stored = Buffer.from(hash, 'hex')
    return given.length === stored.length && timingSafeEqual(given, stored)
  },
}

/** The keyset position of a conversation in lists ordered by last activity. */
const cursorOf = (conversation: Conversation) =>
  encodeCursor(conversation.lastMessageAt ?? conversation.createdAt, conversation.id)

/**
 * Conversations of the current organization, their contacts and messages.
 * Lists are keyset-paginated (conversations by last activity, messages by
 * id) so they stay as fast with millions of rows as with ten.
 */
export default class ConversationService {
  /**
   * A page of conversations, most recently active first, with the cursor of
   * the next page (null on the last). `assigned: 'me'` means assigned to
   * `viewerId`.
   */
  static async list(filters: ConversationFilters, viewerId?: number) {
    const limit = Math.min(filters.limit ?? DEFAULT_PAGE, MAX_PAGE)
    const query = Conversation.query()
      .preload('contact')
      .if(filters.assigned === 'me', (q) => q.where('assigned_user_id', viewerId ?? 0))
      .if(filters.assigned === 'unassigned', (q) => q.whereNull('assigned_user_id'))
      .if(filters.chatbot_id, (q) => q.where('chatbot_id', filters.chatbot_id!))
      .if(filters.status, (q) => q.where('status', filters.status!))
      .if(filters.contact_id, (q) => q.where('contact_id', filters.contact_id!))
      .if(filters.channel, (q) => q.where('channel', filters.channel!))
      .if(filters.from, (q) => q.where('last_message_at', '>=', sqlTime(filters.from!)))
      .if(filters.to, (q) => q.where('last_message_at', '<', sqlTime(filters.to!)))
      .orderBy('last_message_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
    if (filters.cursor)
      afterCursor(query, 'conversations.last_message_at', 'conversations.id', filters.cursor)
    const rows = await query
    const page = rows.slice(0, limit)
    const more = rows.length > limit
    return {
      rows: page,
      meta: { limit, next_cursor: more ? cursorOf(page[page.length - 1]) : null },
    }
  }

  /**
   * The latest message of each conversation, by conversation id, in one
   * query: the inbox's previews. The newest id is looked up per
   * conversation (a correlated `max`, which the (conversation_id, id) index
   * answers with one entry), where a `group by` over the conversations'
   * messages read all of them (bench/README.md, scale).
   */
  static async latestMessages(conversationIds: number[]) {
    const latest = new Map<number, Message>()
    if (!conversationIds.length) return latest
    const rows = await Message.query().whereIn(
      'id',
      db
        .from('conversations')
        .whereIn('conversations.id', conversationIds)
        .select(
          db.raw(
            '(select max(latest.id) from messages latest where latest.conversation_id = conversations.id)'
          )
        )
    )
    for (const row of rows) latest.set(Number(row.conversationId), row)
    return latest
  }

  /**
   * How many conversations wait for a human: taken over (`handoff`) and
   * the customer spoke last (internal notes do not answer anyone): a count
   * on the (organization_id, status, last_message_role) index.
   */
  static async awaitingCount() {
    const [row] = await Conversation.query()
      .where('status', ConversationStatus.Handoff)
      .where('last_message_role', MessageRole.User)
      .count('* as total')
    return Number(row?.$extras.total ?? 0)
  }

  /**
   * A conversation of this organization; 404 for others.
   */
  static find(id: number | string) {
    return Conversation.query().where('id', id).preload('contact').firstOrFail()
  }

  /**
   * A page of a conversation's messages in the order they were written:
   * the latest `limit` by default, those before `before` (scrolling back),
   * or those after `after` (catching up).
   */
  static async messages(
    conversationId: number,
    options: { before?: number; after?: number; limit?: number } = {}
  ) {
    const limit = Math.min(options.limit ?? 50, MAX_PAGE)
    const query = Message.query()
      .where('conversation_id', conversationId)
      .limit(limit + 1)
    if (options.after !== undefined) {
      const rows = await query.where('id', '>', options.after).orderBy('id', 'asc')
      const page = rows.slice(0, limit)
      return { rows: page, hasMore: rows.length > limit }
    }
    if (options.before !== undefined) query.where('id', '<', options.before)
    const rows = await query.orderBy('id', 'desc')
    const page = rows.slice(0, limit).reverse()
    return { rows: page, hasMore: rows.length > limit }
  }

  /**
   * The contact a message comes from: found by its `external_id` (and
   * updated with what is new), or created.
   */
  static async upsertContact(input: ContactInput | undefined, trx: TransactionClientContract) {
    const now = DateTime.now()
    const details = {
      ...(input?.name !== undefined ? { name: input.name } : {}),
      ...(input?.email !== undefined ? { email: input.email } : {}),
      ...(input?.metadata !== undefined ? { metadata: input.metadata } : {}),
    }
    const externalId = input?.external_id
    const existing = () =>
      Contact.query({ client: trx }).where('external_id', externalId!).forUpdate().first()
    if (externalId) {
      const found = await existing()
      if (found) {
        found.merge({ ...details, lastSeenAt: now })
        await found.save()
        return found
      }
    }
    const fields = {
      externalId: externalId ?? null,
      name: null,
      email: null,
      metadata: {},
      ...details,
      firstSeenAt: now,
      lastSeenAt: now,
    }
    // An anonymous contact cannot collide with another: no savepoint needed.
    if (!externalId) return Contact.create(fields, { client: trx })
    try {
      // A savepoint: a concurrent first message with the same external id
      // may insert it first, and the transaction must survive that.
      return await trx.transaction((savepoint) => Contact.create(fields, { client: savepoint }))
    } catch (error) {
      const found = isUniqueViolation(error) ? await existing() : null
      if (!found) throw error
      found.merge({ ...details, lastSeenAt: now })
      await found.save()
      return found
    }
  }

  /**
   * Moves a conversation to `open` (the bot answers), `handoff` (a human
   * has taken over; the bot stays silent) or `resolved`.
   */
  static async setStatus(id: number | string, status: ConversationStatus) {
    const conversation = await this.find(id)
    const before = conversation.status
    if (before !== status) {
      conversation.status = status
      await conversation.save()
      RealtimeService.conversationUpdated(conversation)
    }
    const change: AuditedChange = {
      action: 'conversation.status_changed',
      subject: { type: 'conversation', id: conversation.id },
      changes: { before: { status: before }, after: { status } },
    }
    return { conversation, change }
  }

  /**
   * A member takes the conversation over: `handoff` (the bot stays silent)
   * and assigned to them.
   */
  static async takeOver(id: number | string, member: User) {
    const conversation = await this.find(id)
    const before = { status: conversation.status, assigned_user_id: conversation.assignedUserId }
    conversation.merge({ status: ConversationStatus.Handoff, assignedUserId: member.id })
    if (conversation.$isDirty) {
      await conversation.save()
      RealtimeService.conversationUpdated(conversation)
    }
    const change: AuditedChange = {
      action: 'conversation.assigned',
      subject: { type: 'conversation', id: conversation.id },
      changes: {
        before,
        after: { status: conversation.status, assigned_user_id: member.id },
      },
    }
    return { conversation, change }
  }

  /**
   * An internal note: a `system` message with its author, shown to members
   * only (the public API, the visitor channel and the providers' history
   * leave `system` messages out). It is not customer activity, so the
   * conversation's last activity stays.
   */
  static async addNote(id: number | string, author: User, content: string) {
    const conversation = await this.find(id)
    const note = await Message.create({
      conversationId: conversation.id,
      role: MessageRole.System,
      content,
      status: MessageStatus.Delivered,
      authorUserId: author.id,
    })
    RealtimeService.messageCreated(conversation, note)
    const change: AuditedChange = {
      action: 'conversation.note_added',
      subject: { type: 'conversation', id: conversation.id },
      changes: { message_id: note.id, length: content.length },
    }
    return { conversation, note, change }
  }

  /**
   * A member's reply. Replying takes the conversation over: an open (or
   * resolved) conversation moves to `handoff`, so the bot stops answering
   * until it is handed back; an unassigned one is assigned to the author.
   */
  static async postAgentMessage(id: number | string, author: User, content: string) {
    const conversation = await this.find(id)
    const message = await db.transaction(async (trx) => {
      conversation.useTransaction(trx)
      const created = await Message.create(
        {
          conversationId: conversation.id,
          role: MessageRole.Agent,
          content,
          status: MessageStatus.Delivered,
          authorUserId: author.id,
        },
        { client: trx }
      )
      conversation.merge({
        status: ConversationStatus.Handoff,
        assignedUserId: conversation.assignedUserId ?? author.id,
        lastMessageAt: created.createdAt,
        lastMessageRole: MessageRole.Agent,
      })
      await conversation.save()
      return created
    })
    RealtimeService.messageCreated(conversation, message)
    RealtimeService.conversationUpdated(conversation)
    const change: AuditedChange = {
      action: 'conversation.agent_replied',
      subject: { type: 'conversation', id: conversation.id },
      changes: { message_id: message.id, length: content.length, status: conversation.status },
    }
    return { conversation, message, change }
  }
}
