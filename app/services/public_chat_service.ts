import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Chatbot from '#models/chatbot'
import Conversation from '#models/conversation'
import Message from '#models/message'
import ApiException from '#exceptions/api_exception'
import ChatPipeline from '#services/chat_pipeline'
import ConversationService, {
  VisitorTokens,
  type ContactInput,
} from '#services/conversation_service'
import { consumePublicChatLimit } from '#start/limiter'
import { TenantContext } from '#support/tenant_context'
import {
  ChatbotStatus,
  ConversationChannel,
  ConversationStatus,
  MessageRole,
  MessageStatus,
} from '#enums/chatbots'

const DEFAULT_PAGE = 50

const unknownConversation = () =>
  ApiException.notFound(
    'No conversation matches this id and visitor token: start a new conversation.'
  )

/**
 * The visitor token a request carries: `X-Visitor-Token`, `Authorization:
 * Bearer vt_…`, or (for SSE subscriptions) a `visitor_token` field.
 */
export function visitorTokenOf(ctx: HttpContext): string | null {
  const header = ctx.request.header('x-visitor-token')?.trim()
  if (header) return header
  const bearer = ctx.request.header('authorization')?.match(/^Bearer\s+(vt_\S+)$/)?.[1]
  if (bearer) return bearer
  const field = ctx.request.input('visitor_token')
  return typeof field === 'string' && field ? field : null
}

/**
 * The public chat API: what end users do through the widget or a custom
 * front end, with no account. A chatbot is reached by its public key, a
 * conversation by its id plus the visitor token given when it started.
 * Requests carry no tenant: chatbots and conversations are looked up as
 * platform code, then everything runs in their organization. Whatever
 * cannot be used (unknown, deleted or draft chatbot, wrong token) is a
 * 404 that reveals nothing about what exists.
 */
export default class PublicChatService {
  /**
   * The chatbot a public key names, if visitors may start talking to it:
   * unknown, deleted and draft chatbots are 404 (a draft is not public
   * yet), a paused one 409 CHATBOT_PAUSED.
   */
  static async findChatbot(key: string) {
    const chatbot = await TenantContext.asPlatform(() =>
      Chatbot.query().where('public_key', key).first()
    )
    if (!chatbot || chatbot.status === ChatbotStatus.Draft) {
      throw ApiException.notFound('No chatbot has this key: check the key in the widget settings.')
    }
    if (chatbot.status === ChatbotStatus.Paused) {
      throw new ApiException(
        'This chatbot is paused: it does not take new conversations.',
        'CHATBOT_PAUSED',
        409
      )
    }
    return chatbot
  }

  /**
   * Starts a widget conversation: a new contact from what the visitor says
   * about themselves, the conversation holding the hash of a new visitor
   * token, and the chatbot's welcome message as its first message (so the
   * transcript reads as the visitor saw it). The token is returned here
   * only. `external_id` is ignored: a browser cannot prove who the visitor
   * is, so a visitor never joins, nor rewrites, a contact the organization
   * already knows.
   */
  static async start(chatbot: Chatbot, contact: ContactInput) {
    await consumePublicChatLimit('conversationsPerChatbot', chatbot.id)
    const { token, hash } = VisitorTokens.issue()
    const conversation = await TenantContext.run(chatbot.organizationId, () =>
      db.transaction(async (trx) => {
        const visitor = await ConversationService.upsertContact(
          { name: contact?.name, email: contact?.email, metadata: contact?.metadata },
          trx
        )
        const created = await Conversation.create(
          {
            chatbotId: chatbot.id,
            contactId: visitor.id,
            channel: ConversationChannel.Widget,
            status: ConversationStatus.Open,
            visitorTokenHash: hash,
            lastMessageAt: DateTime.now(),
            lastMessageRole: chatbot.welcomeMessage?.trim() ? MessageRole.Assistant : null,
          },
          { client: trx }
        )
        const welcome = chatbot.welcomeMessage?.trim()
        if (welcome) {
          await Message.create(
            {
              conversationId: created.id,
              role: MessageRole.Assistant,
              content: welcome,
              status: MessageStatus.Delivered,
            },
            { client: trx }
          )
        }
        return created
      })
    )
    return { conversation, visitorToken: token }
  }

  /**
   * The conversation `id` for the holder of its visitor token, with its
   * chatbot. A wrong token, another conversation's token, a deleted or
   * draft chatbot: 404, as for a conversation that does not exist.
   */
  static async authenticate(id: number | string, token: string) {
    const conversation = await TenantContext.asPlatform(() =>
      Conversation.query().where('id', id).preload('chatbot').first()
    )
    if (
      !conversation ||
      !VisitorTokens.matches(token, conversation.visitorTokenHash) ||
      !conversation.chatbot ||
      conversation.chatbot.status === ChatbotStatus.Draft
    ) {
      throw unknownConversation()
    }
    return conversation
  }

  /**
   * A visitor's message, through the pipeline (a paused chatbot refuses
   * with 409), within the per-visitor and per-chatbot limits.
   */
  static async send(conversation: Conversation, text: string) {
    await consumePublicChatLimit('messagesPerVisitor', conversation.id)
    await consumePublicChatLimit('messagesPerChatbot', conversation.chatbotId)
    return TenantContext.run(conversation.organizationId, () =>
      ChatPipeline.ingest({
        chatbot: conversation.chatbot,
        text,
        channel: ConversationChannel.Widget,
        conversationId: conversation.id,
      })
    )
  }

  /**
   * The messages after `after`, oldest first, without agents' internal
   * notes (role `system`). `lastId` is the `after` of the next page: it
   * moves past skipped notes too, and stays put on an empty page.
   */
  static async messages(conversation: Conversation, page: { after?: number; limit?: number }) {
    await consumePublicChatLimit('readsPerVisitor', conversation.id)
    const after = page.after ?? 0
    const limit = page.limit ?? DEFAULT_PAGE
    const { rows, hasMore } = await TenantContext.run(conversation.organizationId, () =>
      ConversationService.messages(conversation.id, { after, limit })
    )
    return {
      rows: rows.filter((row) => row.role !== MessageRole.System),
      limit,
      hasMore,
      lastId: rows.length ? Number(rows[rows.length - 1].id) : after,
    }
  }

  /**
   * The origins the chatbot named by a public URL (by its key, or by one of
   * its conversations) may be called from; none for unknown or deleted
   * chatbots. Read before the request runs, for CORS.
   */
  static async allowedOrigins(target: { key: string } | { conversationId: string }) {
    const chatbot = await TenantContext.asPlatform(() =>
      'key' in target
        ? Chatbot.query().where('public_key', target.key).first()
        : Chatbot.query()
            .whereIn(
              'id',
              db.from('conversations').select('chatbot_id').where('id', target.conversationId)
            )
            .first()
    )
    return chatbot?.allowedOrigins ?? []
  }
}
