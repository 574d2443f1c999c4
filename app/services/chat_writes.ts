import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import ConversationService, { type ContactInput } from '#services/conversation_service'
import { TenantContext, MissingTenantError } from '#support/tenant_context'
import { isUniqueViolation } from '#support/db_errors'
import { columnNamesOf, columnsOf, modelFrom } from '#support/joined_models'
import { prepared } from '#support/prepared'
import { sqlTime } from '#support/sql_time'
import {
  ConversationStatus,
  MessageRole,
  MessageStatus,
  type ConversationChannel,
} from '#enums/chatbots'

/** A user's message to store, in a new conversation or in `conversationId`. */
export type MessageToStore = {
  chatbotId: number
  text: string
  channel: ConversationChannel
  contact?: ContactInput
  conversationId?: number
}

/** A reply (or the fallback) and the status it gives the message it answers. */
export type ReplyToStore = {
  content: string
  provider: string
  latencyMs: number | null
  promptTokens: number | null
  completionTokens: number | null
  meta: Record<string, unknown>
  status: MessageStatus
  error: string | null
}

/** What storing a message wrote: `contact` only for a new conversation. */
type StoredMessage = { conversation: Conversation; message: Message; contact: Contact | null }

/** A prepared statement's `returning` list: the model's columns, never `*`. */
const returning = (Model: LucidModel) => columnNamesOf(Model).join(', ')

const isPostgres = () => db.connection().dialect.name === 'postgres'

/**
 * The organization the rows are written for, as a tenant-scoped model's
 * create would stamp it.
 */
function currentOrganization(what: string) {
  const organizationId = TenantContext.currentId()
  if (organizationId === null) throw new MissingTenantError(what)
  return organizationId
}

/**
 * The user's message written with what goes with it (the conversation,
 * created or moved on; a new contact), and the reply
 * written with the message's final status. These are the writes of every
 * chat message, so on PostgreSQL each is one data-modifying statement (one
 * round trip, atomic like any statement) instead of a transaction of four
 * to six; SQLite (the quick start) has no data-modifying CTEs and runs
 * them as a transaction of models. A contact known by `external_id` is
 * found or created with its unique race handled, which stays a
 * transaction on both.
 */
export default class ChatWrites {
  /**
   * Null when `conversationId` names no conversation of the chatbot.
   */
  static async storeMessage(input: MessageToStore): Promise<StoredMessage | null> {
    // The message's time is the conversation's last message time.
    const now = DateTime.now()
    if (isPostgres() && !input.contact?.external_id) {
      return input.conversationId === undefined
        ? this.#newConversationInOneStatement(input, now)
        : this.#nextMessageInOneStatement(input, input.conversationId, now)
    }
    return this.#messageInTransaction(input, now)
  }

  /**
   * False when the message already had its reply (the unique reply index
   * refused a second one): nothing was written.
   */
  static async storeReply(
    message: Message,
    conversation: Conversation,
    reply: ReplyToStore,
    now: DateTime
  ): Promise<Message | null> {
    return isPostgres()
      ? this.#replyInOneStatement(message, conversation, reply, now)
      : this.#replyInTransaction(message, conversation, reply, now)
  }

  /**
   * The message, inserted after the CTE named `conversation` (whose status
   * decides whether the bot answers: `pending`, else `delivered`).
   */
  static #message(input: MessageToStore, at: string) {
    return {
      sql: `message as (
         insert into messages (organization_id, conversation_id, role, content, status, created_at, updated_at)
         select organization_id, id, ?, ?, case when status = ? then ? else ? end, ?, ?
           from conversation
         returning ${returning(Message)}
       )`,
      bindings: [
        MessageRole.User,
        input.text,
        ConversationStatus.Open,
        MessageStatus.Pending,
        MessageStatus.Delivered,
        at,
        at,
      ],
    }
  }

  static async #newConversationInOneStatement(input: MessageToStore, now: DateTime) {
    const at = now.toISO()!
    const organizationId = currentOrganization('Conversation')
    const tail = this.#message(input, at)
    const result = await prepared(
      'chat_new_conversation',
      db.rawQuery(
        `with contact as (
         insert into contacts (organization_id, external_id, name, email, metadata,
           first_seen_at, last_seen_at, created_at, updated_at)
         values (?, null, ?, ?, ?::jsonb, ?, ?, ?, ?)
         returning ${returning(Contact)}
       ), conversation as (
         insert into conversations (organization_id, chatbot_id, contact_id, channel, status,
           last_message_at, last_message_role, created_at, updated_at)
         select organization_id, ?, id, ?, ?, ?, ?, ?, ? from contact
         returning ${returning(Conversation)}
       ), ${tail.sql}
       select ${[
         ...columnsOf(Contact, 'contact', 'ct'),
         ...columnsOf(Conversation, 'conversation', 'cv'),
         ...columnsOf(Message, 'message', 'm'),
       ].join(', ')}
         from contact, conversation, message`,
        [
          organizationId,
          input.contact?.name ?? null,
          input.contact?.email ?? null,
          JSON.stringify(input.contact?.metadata ?? {}),
          at,
          at,
          at,
          at,
          input.chatbotId,
          input.channel,
          ConversationStatus.Open,
          at,
          MessageRole.User,
          at,
          at,
          ...tail.bindings,
        ]
      )
    )
    const row = result.rows[0] as Record<string, unknown>
    return {
      contact: modelFrom(Contact, row, 'ct'),
      conversation: modelFrom(Conversation, row, 'cv')!,
      message: modelFrom(Message, row, 'm')!,
    }
  }

  /**
   * A message in an existing conversation: a resolved one opens again;
   * the status the update leaves decides whether the bot answers, so an
   * agent's takeover committed a moment before is respected.
   */
  static async #nextMessageInOneStatement(
    input: MessageToStore,
    conversationId: number,
    now: DateTime
  ) {
    const at = now.toISO()!
    const organizationId = currentOrganization('Conversation')
    const tail = this.#message(input, at)
    const result = await prepared(
      'chat_next_message',
      db.rawQuery(
        `with conversation as (
         update conversations
            set status = case when status = ? then ? else status end,
                last_message_at = ?, last_message_role = ?, updated_at = ?
          where id = ? and chatbot_id = ? and organization_id = ?
         returning ${returning(Conversation)}
       ), ${tail.sql}
       select ${[
         ...columnsOf(Conversation, 'conversation', 'cv'),
         ...columnsOf(Message, 'message', 'm'),
       ].join(', ')}
         from conversation, message`,
        [
          ConversationStatus.Resolved,
          ConversationStatus.Open,
          at,
          MessageRole.User,
          at,
          conversationId,
          input.chatbotId,
          organizationId,
          ...tail.bindings,
        ]
      )
    )
    const row = result.rows[0] as Record<string, unknown> | undefined
    if (!row) return null
    return {
      contact: null,
      conversation: modelFrom(Conversation, row, 'cv')!,
      message: modelFrom(Message, row, 'm')!,
    }
  }

  static async #messageInTransaction(input: MessageToStore, now: DateTime) {
    const existing =
      input.conversationId === undefined
        ? null
        : await Conversation.query()
            .where('id', input.conversationId)
            .where('chatbot_id', input.chatbotId)
            .first()
    if (input.conversationId !== undefined && !existing) return null

    return db.transaction(async (trx) => {
      let conversation = existing
      let contact: Contact | null = null
      if (conversation) {
        conversation.useTransaction(trx)
        if (conversation.status === ConversationStatus.Resolved) {
          conversation.status = ConversationStatus.Open
        }
        conversation.lastMessageAt = now
        conversation.lastMessageRole = MessageRole.User
        await conversation.save()
      } else {
        contact = await ConversationService.upsertContact(input.contact, trx)
        conversation = await Conversation.create(
          {
            chatbotId: input.chatbotId,
            contactId: contact.id,
            channel: input.channel,
            status: ConversationStatus.Open,
            lastMessageAt: now,
            lastMessageRole: MessageRole.User,
          },
          { client: trx }
        )
      }
      const botAnswers = conversation.status === ConversationStatus.Open
      const message = await Message.create(
        {
          conversationId: conversation.id,
          role: MessageRole.User,
          content: input.text,
          status: botAnswers ? MessageStatus.Pending : MessageStatus.Delivered,
          createdAt: now,
        },
        { client: trx }
      )
      return { conversation, message, contact }
    })
  }

  /**
   * The reply's insert and the two updates; the updates run only when the
   * insert did (a second reply is refused by the unique reply index).
   */
  static async #replyInOneStatement(
    message: Message,
    conversation: Conversation,
    reply: ReplyToStore,
    now: DateTime
  ) {
    const at = now.toISO()!
    const organizationId = currentOrganization('Message')
    const result = await prepared(
      'chat_reply',
      db.rawQuery(
        `with reply as (
         insert into messages (organization_id, conversation_id, role, content, status, provider,
           latency_ms, prompt_tokens, completion_tokens, reply_to_id, meta, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
         on conflict (reply_to_id) where role = 'assistant' do nothing
         returning ${returning(Message)}
       ), answered as (
         update messages set status = ?, error = ?, updated_at = ?
          where id = ? and organization_id = ? and exists (select 1 from reply)
       ), spoken as (
         update conversations set last_message_at = ?, last_message_role = ?, updated_at = ?
          where id = ? and organization_id = ? and exists (select 1 from reply)
       )
       select * from reply`,
        [
          organizationId,
          conversation.id,
          MessageRole.Assistant,
          reply.content,
          MessageStatus.Delivered,
          reply.provider,
          reply.latencyMs,
          reply.promptTokens,
          reply.completionTokens,
          message.id,
          JSON.stringify(reply.meta),
          at,
          at,
          reply.status,
          reply.error,
          at,
          message.id,
          organizationId,
          at,
          MessageRole.Assistant,
          at,
          conversation.id,
          organizationId,
        ]
      )
    )
    const [row] = result.rows as Record<string, unknown>[]
    return row ? Message.$createFromAdapterResult(row) : null
  }

  static async #replyInTransaction(
    message: Message,
    conversation: Conversation,
    reply: ReplyToStore,
    now: DateTime
  ) {
    try {
      return await db.transaction(async (trx) => {
        const row = await Message.create(
          {
            conversationId: conversation.id,
            role: MessageRole.Assistant,
            content: reply.content,
            status: MessageStatus.Delivered,
            provider: reply.provider,
            latencyMs: reply.latencyMs,
            promptTokens: reply.promptTokens,
            completionTokens: reply.completionTokens,
            replyToId: message.id,
            meta: reply.meta,
            createdAt: now,
          },
          { client: trx }
        )
        await Message.query({ client: trx })
          .where('id', message.id)
          .update({ status: reply.status, error: reply.error, updated_at: sqlTime(now) })
        await Conversation.query({ client: trx })
          .where('id', conversation.id)
          .update({
            last_message_at: sqlTime(now),
            last_message_role: MessageRole.Assistant,
            updated_at: sqlTime(now),
          })
        return row
      })
    } catch (error) {
      if (isUniqueViolation(error)) return null
      throw error
    }
  }
}
