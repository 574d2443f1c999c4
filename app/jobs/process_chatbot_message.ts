import app from '@adonisjs/core/services/app'
import BaseJob from '#jobs/base_job'
import ChatPipeline from '#services/chat_pipeline'

type Payload = { messageId: number }

/**
 * Answers one user message (see ChatPipeline). Enqueued with the job id
 * `message-<id>-<created second>`, so a message has one job however often it is enqueued;
 * redelivered or duplicated, it still yields one reply.
 */
export default class ProcessChatbotMessage extends BaseJob<Payload> {
  static queue = 'high' as const

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
