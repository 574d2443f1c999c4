import app from '@adonisjs/core/services/app'
import BaseJob from '#jobs/base_job'
import ChatPipeline from '#services/chat_pipeline'

/** `conversationId`, carried by jobs enqueued by earlier versions, is not needed. */
type Payload = { messageId: number; conversationId?: number }

/**
 * Answers one user message (see ChatPipeline). Enqueued with the job id
 * `message-<id>-<created second>`, so a message has one job however often it is enqueued;
 * redelivered or duplicated, it still yields one reply.
 */
export default class ProcessChatbotMessage extends BaseJob<Payload> {
  static queue = 'high' as const
  // Longer than the longest provider timeout a chatbot may set (300 s): the provider's own timeout ends a slow attempt, with the fallback reply on the last one.
  static timeoutMs = 330_000

  async handle({ messageId }: Payload) {
    const outcome = await ChatPipeline.process(messageId, this.isLastAttempt())
    if (outcome === 'busy') {
      // Another message of the conversation is being answered: wait for it.
      return this.retryLater(app.config.get<number>('chat.lockRetryMs', 200))
    }
  }

  async rescue({ messageId }: Payload, error: Error) {
    await ChatPipeline.giveUp(messageId, error)
  }
}
