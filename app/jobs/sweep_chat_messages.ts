import BaseJob from '#jobs/base_job'
import ChatPipeline from '#services/chat_pipeline'

/**
 * The pipeline's safety net, repeated by the worker (config/chat.ts
 * `sweepEveryMs`): enqueues accepted messages that never reached the queue
 * or whose job was lost.
 */
export default class SweepChatMessages extends BaseJob {
  static queue = 'default' as const
  static options = { attempts: 1 }

  async handle() {
    const enqueued = await ChatPipeline.sweep()
    if (enqueued > 0) this.logger.info({ enqueued }, 'swept unanswered messages')
  }
}
