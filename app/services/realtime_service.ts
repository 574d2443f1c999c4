import transmit from '@adonisjs/transmit/services/main'
import logger from '@adonisjs/core/services/logger'
import type Conversation from '#models/conversation'
import type Message from '#models/message'
import {
  presentConversation,
  presentMessage,
  presentPublicMessage,
} from '#services/conversation_service'

type Broadcastable = Parameters<typeof transmit.broadcast>[1]

/**
 * Server-sent events over @adonisjs/transmit. Three channels:
 * - `conversations/:id`: a conversation's events for organization members
 *   with `conversations.view` (full messages);
 * - `visitors/conversations/:id`: the same events for the conversation's
 *   visitor token, with the public view of messages;
 * - `organizations/:id/conversations`: conversation changes of the whole
 *   organization, for live inbox lists.
 * Events are `{ type, … }` objects: `message.created`, `message.updated`,
 * `message.delta` (streamed text of a reply being written) and
 * `conversation.updated`. With the Redis transport (config/transmit.ts) a
 * broadcast from a worker reaches subscribers of every web process.
 */
export default class RealtimeService {
  static channels = {
    conversation: (id: number) => `conversations/${id}`,
    visitor: (id: number) => `visitors/conversations/${id}`,
    organization: (id: number) => `organizations/${id}/conversations`,
  }

  static messageCreated(conversation: Conversation, message: Message) {
    this.toConversation(conversation, 'message.created', message)
  }

  static messageUpdated(conversation: Conversation, message: Message) {
    this.toConversation(conversation, 'message.updated', message)
  }

  /**
   * A piece of a reply being streamed by the provider, before it is stored.
   */
  static replyDelta(conversation: Conversation, replyToId: number, text: string) {
    const event = { type: 'message.delta', reply_to_id: Number(replyToId), text }
    this.send(this.channels.conversation(conversation.id), event)
    this.send(this.channels.visitor(conversation.id), event)
  }

  static conversationUpdated(conversation: Conversation) {
    const summary = { ...presentConversation(conversation), contact: undefined }
    const event = { type: 'conversation.updated', conversation: summary }
    this.send(this.channels.conversation(conversation.id), event)
    this.send(this.channels.organization(conversation.organizationId), event)
    this.send(this.channels.visitor(conversation.id), {
      type: 'conversation.updated',
      conversation: { id: summary.id, status: summary.status },
    })
  }

  protected static toConversation(conversation: Conversation, type: string, message: Message) {
    const full = { type, message: presentMessage(message) }
    this.send(this.channels.conversation(conversation.id), full)
    this.send(this.channels.organization(conversation.organizationId), {
      type,
      message: { ...full.message, meta: undefined },
    })
    // Agents' internal notes (role `system`) never reach the visitor.
    if (message.role !== 'system') {
      this.send(this.channels.visitor(conversation.id), {
        type,
        message: presentPublicMessage(message),
      })
    }
  }

  /**
   * Broadcasting never fails the caller: a lost event is caught up by the
   * clients' `after=` reads, a lost reply would not be. Payloads are fresh
   * objects of the presenters: the transport and the event streams write
   * them as JSON (dropping undefined fields) when they are sent, so they go
   * as they are.
   */
  protected static send(channel: string, payload: Record<string, unknown>) {
    try {
      transmit.broadcast(channel, payload as Broadcastable)
    } catch (error) {
      logger.warn({ err: error, channel }, 'realtime event not broadcast')
    }
  }
}
