import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { QUEUE_NAMES } from '#config/queue'
import QueueMonitorService from '#services/queue_monitor_service'
import { ParleyCommand } from './_parley_command.js'

/**
 * Queues every failed job again (after a fix was deployed), for one queue
 * or all of them; each job runs once more.
 */
export default class QueueRetryFailed extends ParleyCommand {
  static commandName = 'queue:retry-failed'
  static description = 'Retry the failed jobs of one queue (--queue) or of every queue'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: `Queue to retry (${QUEUE_NAMES.join(', ')}; default: all)` })
  declare queue: string | undefined

  protected async handle() {
    const names =
      this.queue === undefined ? [...QUEUE_NAMES] : [QueueMonitorService.queue(this.queue.trim())]
    let total = 0
    for (const name of names) {
      const { count, ...change } = await QueueMonitorService.retryFailed(name)
      total += count
      if (count > 0) await this.audit(change)
      this.logger.info(`${name}: ${count} failed job(s) queued again`)
    }
    this.logger.success(`${total} failed job(s) queued again`)
  }
}
