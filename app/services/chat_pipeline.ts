import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import queueManager from '@rlanz/bull-queue/services/main'
import Chatbot from '#models/chatbot'
import Contact from '#models/contact'
import Conversation from '#models/conversation'
import Message from '#models/message'
import ApiException from '#exceptions/api_exception'
import AuditService from '#services/audit_service'
import QueueService from '#services/queue_service'
import RealtimeService from '#services/realtime_service'
import ChatWrites, { type ReplyToStore } from '#services/chat_writes'
import type { ContactInput } from '#services/conversation_service'
import ProcessChatbotMessage from '#jobs/process_chatbot_message'
import { TenantContext } from '#support/tenant_context'
import { RedisLock } from '#support/redis_lock'
import { sqlTime } from '#support/sql_time'
import { columnsOf, modelFrom, qualifiedColumnsOf } from '#support/joined_models'
import { prepared } from '#support/prepared'
import {
  ChatbotStatus,
  ConversationStatus,
  MessageRole,
  MessageStatus,
  ProviderType,
  type ConversationChannel,
} from '#enums/chatbots'
import {
  ProviderError,
  fallbackMessageOf,
  providerFor,
  type ChatReply,
  type ChatTurn,
} from '#providers/chat/index'

type ChatConfig = typeof import('#config/chat').default

const MAX_ERROR = 1000

export type IngestInput = {
  chatbot: Chatbot
  text: string
  channel: ConversationChannel
  /** Who writes, for a new conversation (found by `external_id` when given). */
  contact?: ContactInput
  /** An existing conversation of this chatbot to continue. */
  conversationId?: number
}

/**
 * What became of one job delivery: answered (or nothing left to answer),
 * or to be tried again shortly because the conversation is busy.
 */
export type ProcessOutcome = 'done' | 'busy'

const config = () => app.config.get<ChatConfig>('chat')

/**
 * The id of a message's job: one job per message, whoever enqueues it.
 * Derived from the message's id and creation second, so a database reset
 * to earlier ids (a restored backup, a recreated dev database) never meets
 * the finished job of another message in Redis.
 */
export const jobIdFor = (message: Message) =>
  `message-${message.id}-${Math.floor(message.createdAt.toSeconds())}`

/**
 * The zero-loss message pipeline.
 *
 * 1. `ingest` stores the user's message `pending` (with its conversation,
 *    in one statement), then enqueues `ProcessChatbotMessage` (job id
 *    derived from the message). A message waiting for its reply is its own
 *    outbox: nothing else records that it still has to be enqueued.
 * 2. `process` (the job) answers it through the chatbot's provider, one
 *    message of a conversation at a time and in order, stores the reply and
 *    marks the message `delivered`; errors are retried with backoff; after
 *    the last attempt (or at once for a permanent error) the user gets the
 *    fallback message, the message is `failed` and the failure is audited.
 *    Each step is idempotent: a reply exists at most once per message
 *    (unique index), so a redelivered job never answers twice.
 * 3. `sweep` (a repeatable job) enqueues the unanswered messages whose job
 *    is missing: step 1 could not enqueue them (Redis down) or their job
 *    was lost.
 */
export default class ChatPipeline {
  /**
   * Accepts a user's message. A paused chatbot refuses; a conversation in
   * handoff takes the message for its human agent (no bot reply); a
   * resolved one opens again.
   */
  static async ingest(input: IngestInput) {
    const { chatbot, text, channel } = input
    if (chatbot.status === ChatbotStatus.Paused) {
      throw new ApiException(
        'This chatbot is paused: it does not take messages.',
        'CHATBOT_PAUSED',
        409
      )
    }

    const stored = await ChatWrites.storeMessage({
      chatbotId: chatbot.id,
      text,
      channel,
      contact: input.contact,
      conversationId: input.conversationId,
    })
    if (!stored) {
      throw new ApiException(
        'No conversation of this chatbot has this id.',
        'CONVERSATION_NOT_FOUND',
        404
      )
    }
    const { conversation, message, contact } = stored
    // A new conversation's contact is the one just written: no need to read it back.
    if (contact) conversation.$setRelated('contact', contact)

    RealtimeService.messageCreated(conversation, message)
    RealtimeService.conversationUpdated(conversation)
    const queued = message.status === MessageStatus.Pending ? await this.enqueue(message) : false
    return { conversation, message, queued }
  }

  /**
   * Puts a message's job on the `high` queue. Never throws: when Redis is
   * unreachable (or slow) the message stays pending without a job, and the
   * sweeper enqueues it later. A job of the same id already on the queue is
   * left alone; a finished one is replaced.
   */
  static async enqueue(message: Message, options: { replaceFinished?: boolean } = {}) {
    const { replyAttempts, replyBackoffMs, enqueueTimeoutMs } = config()
    const jobId = jobIdFor(message)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('enqueue timed out')), enqueueTimeoutMs)
    })
    try {
      await Promise.race([
        (async () => {
          if (options.replaceFinished) {
            const previous = await queueManager.getOrSet('high').getJob(jobId)
            const state = previous ? await previous.getState() : null
            if (previous && (state === 'completed' || state === 'failed')) await previous.remove()
          }
          await QueueService.dispatch(
            ProcessChatbotMessage,
            { messageId: Number(message.id) },
            {
              jobId,
              organizationId: message.organizationId,
              attempts: replyAttempts,
              backoff: { type: 'exponential', delay: replyBackoffMs },
            }
          )
        })(),
        timeout,
      ])
    } catch (error) {
      logger.warn(
        { err: error, message_id: message.id },
        'message not enqueued: the sweeper will enqueue it'
      )
      return false
    } finally {
      clearTimeout(timer)
    }
    return true
  }

  /**
   * One delivery of a message's job (run in its organization). Waits its
   * turn behind earlier unanswered messages of the conversation (`busy`),
   * then answers. `lastAttempt`: a failure now ends in the fallback reply
   * instead of a retry.
   *
   * A remote provider (a paid, slow call) answers a conversation one
   * message at a time under a Redis lock, so a message delivered twice is
   * never sent to it twice. The built-in responder needs no lock: it is
   * deterministic and costs nothing, the unique reply index keeps a second
   * delivery's reply out, and a later message still waits for an earlier
   * one (which stays unanswered until its reply is stored).
   */
  static async process(messageId: number, lastAttempt: boolean): Promise<ProcessOutcome> {
    const turn = await this.turnOf(messageId)
    if (!turn || !this.awaitsReply(turn.message)) return 'done'
    if (turn.behindEarlier) return 'busy'
    if (turn.conversation.chatbot.providerType === ProviderType.Builtin) {
      await this.answer(turn.message, turn.conversation, lastAttempt)
      return 'done'
    }

    const lock = new RedisLock(`conversation:${turn.conversation.id}`, config().lockTtlMs)
    if (!(await lock.acquire())) return 'busy'
    try {
      // Read again under the lock, where no other delivery is answering it.
      const current = await this.turnOf(messageId)
      if (!current || !this.awaitsReply(current.message)) return 'done'
      if (current.behindEarlier) return 'busy'
      await this.answer(current.message, current.conversation, lastAttempt)
      return 'done'
    } finally {
      await lock.release()
    }
  }

  /**
   * Called once the job has failed for good without `process` having
   * answered (e.g. a crash on the last attempt): the user still gets the
   * fallback message.
   */
  static async giveUp(messageId: number, error: Error) {
    const turn = await this.turnOf(messageId)
    if (!turn || !this.awaitsReply(turn.message)) return
    await this.fail(turn.message, turn.conversation, turn.conversation.chatbot, error)
  }

  /**
   * A user message still waiting for the bot.
   */
  protected static awaitsReply(message: Message) {
    return (
      message.role === MessageRole.User &&
      (message.status === MessageStatus.Pending || message.status === MessageStatus.Processing)
    )
  }

  /**
   * A message with its conversation, the conversation's contact and chatbot
   * (deleted or not), and whether an earlier user message of the
   * conversation still waits for its reply (and is not so old that its job
   * was lost: the sweeper deals with those), so this one must wait its
   * turn. One statement; null when the message is gone.
   */
  protected static async turnOf(messageId: number) {
    const since = DateTime.now().minus({ milliseconds: config().stuckAfterMs })
    const query = Message.query()
      .where('messages.id', messageId)
      .join('conversations', 'conversations.id', 'messages.conversation_id')
      .join('contacts', 'contacts.id', 'conversations.contact_id')
      .join('chatbots', 'chatbots.id', 'conversations.chatbot_id')
      .select(
        ...qualifiedColumnsOf(Message, 'messages'),
        ...columnsOf(Conversation, 'conversations', 'cv'),
        ...columnsOf(Contact, 'contacts', 'ct'),
        ...columnsOf(Chatbot, 'chatbots', 'cb'),
        db.raw(
          `exists (select 1 from messages earlier
             where earlier.organization_id = messages.organization_id
               and earlier.conversation_id = messages.conversation_id
               and earlier.role = ? and earlier.status in (?, ?)
               and earlier.id < messages.id and earlier.created_at >= ?) as behind_earlier`,
          [MessageRole.User, MessageStatus.Pending, MessageStatus.Processing, sqlTime(since)]
        )
      )
    const row = await prepared('chat_turn', query).first()
    if (!row) return null
    const conversation = modelFrom(Conversation, row.$extras, 'cv')!
    conversation.$setRelated('contact', modelFrom(Contact, row.$extras, 'ct')!)
    conversation.$setRelated('chatbot', modelFrom(Chatbot, row.$extras, 'cb')!)
    const behindEarlier = Boolean(row.$extras.behind_earlier)
    row.$extras = {}
    return { message: row, conversation, behindEarlier }
  }

  protected static async answer(
    message: Message,
    conversation: Conversation,
    lastAttempt: boolean
  ) {
    const chatbot = conversation.chatbot

    // A human took over (or the chatbot is gone) since the message arrived.
    if (conversation.status !== ConversationStatus.Open || chatbot.deletedAt) {
      await this.setStatus(message, conversation, MessageStatus.Delivered)
      return
    }

    // The built-in responder answers at once: only a remote provider's wait is shown.
    if (chatbot.providerType !== ProviderType.Builtin) {
      await this.setStatus(message, conversation, MessageStatus.Processing)
    }
    const started = performance.now()
    const provider = providerFor(chatbot)
    let reply: ChatReply
    try {
      reply = await provider.reply({
        chatbot,
        message: {
          id: message.id,
          content: message.content,
          createdAt: message.createdAt.toISO()!,
        },
        conversation: {
          id: conversation.id,
          channel: conversation.channel,
          status: conversation.status,
        },
        contact: {
          id: conversation.contact.id,
          externalId: conversation.contact.externalId,
          name: conversation.contact.name,
          email: conversation.contact.email,
          metadata: conversation.contact.metadata ?? {},
        },
        history: provider.usesHistory ? await this.history(message) : [],
        onDelta: (text) => RealtimeService.replyDelta(conversation, message.id, text),
      })
    } catch (error) {
      const permanent = error instanceof ProviderError && !error.retryable
      if (permanent || lastAttempt) {
        await this.fail(message, conversation, chatbot, error as Error)
        return
      }
      throw error
    }

    await this.storeReply(message, conversation, {
      content: reply.content,
      provider: reply.provider,
      latencyMs: Math.round(performance.now() - started),
      promptTokens: reply.promptTokens ?? null,
      completionTokens: reply.completionTokens ?? null,
      meta: {
        chunks: reply.chunks.map((chunk) => ({
          id: chunk.id,
          source_id: chunk.sourceId,
          source_title: chunk.sourceTitle,
          score: chunk.score,
        })),
        confidence: reply.confidence ?? null,
        fallback: Boolean(reply.fallback),
        handoff_offered: Boolean(reply.fallback),
      },
      status: MessageStatus.Delivered,
      error: null,
    })
  }

  /**
   * The earlier messages the provider sees, oldest first: what was said
   * before this message, with each reply right after the message it
   * answers (a reply stored after this message arrived still counts).
   */
  protected static async history(message: Message): Promise<ChatTurn[]> {
    const rows = await Message.query()
      .where('conversation_id', message.conversationId)
      .whereIn('role', [MessageRole.User, MessageRole.Assistant, MessageRole.Agent])
      .where((q) =>
        q
          .where('id', '<', message.id)
          .orWhere((reply) =>
            reply.where('role', MessageRole.Assistant).where('reply_to_id', '<', message.id)
          )
      )
      .orderByRaw('coalesce(reply_to_id, id) desc, id desc')
      .limit(config().historySize)
    return rows.reverse().map((row) => ({ role: row.role, content: row.content }))
  }

  /**
   * The user gets the fallback message; the message is `failed` with the
   * (secret-free) error and the failure is audited.
   */
  protected static async fail(
    message: Message,
    conversation: Conversation,
    chatbot: Chatbot,
    error: Error
  ) {
    const reason = String(error?.message ?? error).slice(0, MAX_ERROR)
    const code = error instanceof ProviderError ? error.code : 'PROVIDER_ERROR'
    const stored = await this.storeReply(message, conversation, {
      content: fallbackMessageOf(chatbot),
      provider: chatbot.providerType,
      latencyMs: null,
      promptTokens: null,
      completionTokens: null,
      meta: { chunks: [], fallback: true, handoff_offered: true, error_code: code },
      status: MessageStatus.Failed,
      error: reason,
    })
    if (!stored) return
    await AuditService.record({
      action: 'message.reply_failed',
      status: 'error',
      errorCode: code,
      message: 'The chatbot could not answer: the fallback message was sent',
      organizationId: message.organizationId,
      subject: { type: 'message', id: message.id },
      changes: {
        chatbot_id: chatbot.id,
        conversation_id: conversation.id,
        provider: chatbot.providerType,
        error: reason,
      },
    })
  }

  /**
   * Stores the reply, the message's final status and the conversation's
   * last message at once (one statement on PostgreSQL, a transaction
   * elsewhere). False when a reply already existed (another delivery
   * stored it first): the unique reply index refuses a second one, so
   * nothing is written twice and there is no need to look first.
   */
  protected static async storeReply(
    message: Message,
    conversation: Conversation,
    reply: ReplyToStore
  ) {
    const now = DateTime.now()
    const created = await ChatWrites.storeReply(message, conversation, reply, now)
    if (!created) {
      await message.refresh()
      return false
    }
    // What was written, without reading it back.
    message.merge({ status: reply.status, error: reply.error, updatedAt: now })
    message.$hydrateOriginals()
    conversation.merge({
      lastMessageAt: now,
      lastMessageRole: MessageRole.Assistant,
      updatedAt: now,
    })
    conversation.$hydrateOriginals()
    RealtimeService.messageCreated(conversation, created)
    RealtimeService.messageUpdated(conversation, message)
    RealtimeService.conversationUpdated(conversation)
    return true
  }

  protected static async setStatus(
    message: Message,
    conversation: Conversation,
    status: MessageStatus
  ) {
    if (message.status === status) return
    message.status = status
    await message.save()
    RealtimeService.messageUpdated(conversation, message)
  }

  /**
   * Enqueues what was accepted but is not on the queue: user messages still
   * unanswered `enqueueGraceMs` after they arrived whose job is missing
   * (never enqueued, or lost with a flushed Redis) or finished without
   * answering them. Runs across organizations, oldest first, `sweepBatch`
   * at a time. Returns how many messages were (re-)enqueued.
   */
  static async sweep(overrides: { enqueueGraceMs?: number } = {}) {
    const { enqueueGraceMs, sweepBatch } = { ...config(), ...overrides }
    const before = DateTime.now().minus({ milliseconds: enqueueGraceMs })
    const unanswered = await TenantContext.asPlatform(() =>
      Message.query()
        .where('role', MessageRole.User)
        .whereIn('status', [MessageStatus.Pending, MessageStatus.Processing])
        .where('created_at', '<=', sqlTime(before))
        .orderBy('id')
        .limit(sweepBatch)
    )

    let enqueued = 0
    const queue = queueManager.getOrSet('high')
    for (const message of unanswered) {
      let state: string | null
      try {
        const job = await queue.getJob(jobIdFor(message))
        state = job ? await job.getState() : null
      } catch (error) {
        // Redis still unreachable: the rest waits for the next sweep.
        logger.warn({ err: error }, 'sweeper stopped: the queue is unreachable')
        break
      }
      if (state && state !== 'completed' && state !== 'failed' && state !== 'unknown') continue
      if (!(await this.enqueue(message, { replaceFinished: true }))) break
      enqueued += 1
    }
    if (enqueued > 0) logger.info({ enqueued }, 'sweeper enqueued unanswered messages')
    return enqueued
  }

  /**
   * The reply to a message, once there is one (or null after `timeoutMs`).
   */
  static async waitForReply(messageId: number, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs
    let pause = 20
    while (true) {
      const reply = await Message.query()
        .where('reply_to_id', messageId)
        .where('role', MessageRole.Assistant)
        .first()
      if (reply) return reply
      const left = deadline - Date.now()
      if (left <= 0) return null
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)))
      pause = Math.min(pause * 2, 250)
    }
  }
}
