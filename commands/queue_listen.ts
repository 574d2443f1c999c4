import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { QUEUE_NAMES, type QueueName } from '#config/queue'

/**
 * The worker process. Replaces @rlanz/bull-queue's `queue:listen`: jobs are
 * resolved by class name, a job whose class cannot load fails instead of
 * completing, and SIGTERM/SIGINT let in-flight jobs finish before exiting
 * (then the worker's heartbeat is removed and it exits 0). It also
 * registers the scheduled jobs of its queues (app/jobs/schedule.ts).
 */
export default class QueueListen extends BaseCommand {
  static commandName = 'queue:listen'
  static description = 'Process jobs from the given queues (all queues by default)'
  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.array({
    alias: 'q',
    description: `Queue(s) to listen on: repeat the flag or separate with commas (${QUEUE_NAMES.join(', ')})`,
  })
  declare queue: string[] | undefined

  async run() {
    const requested = (this.queue ?? [])
      .flatMap((value) => value.split(','))
      .map((name) => name.trim())
    const unknown = requested.filter((name) => !QUEUE_NAMES.includes(name as QueueName))
    if (unknown.length > 0) {
      this.logger.error(
        `Unknown queue(s): ${unknown.join(', ')}. Known queues: ${QUEUE_NAMES.join(', ')}`
      )
      // A staying-alive command's exitCode is not propagated by the kernel.
      process.exitCode = 1
      return this.terminate()
    }

    const queueNames =
      requested.length > 0 ? ([...new Set(requested)] as QueueName[]) : [...QUEUE_NAMES]
    const { WorkerPool } = await import('#support/job_runner')
    const pool = new WorkerPool().start(queueNames)
    await this.scheduleRepeatableJobs(queueNames)

    this.app.terminating(async () => {
      this.logger.info('Stopping: no new jobs are taken; waiting for jobs in flight to finish')
      await pool.close()
      this.logger.info('Worker stopped')
    })
    process.once('SIGINT', () => this.app.terminate())

    this.logger.info(`Listening on queue(s): ${queueNames.join(', ')} (worker ${pool.id})`)
  }

  /**
   * The scheduled jobs (app/jobs/schedule.ts) of the queues this worker
   * serves. Registering them again only updates them: they run once per
   * interval however many workers there are. Schedules no longer in the
   * registry are removed.
   */
  protected async scheduleRepeatableJobs(queueNames: QueueName[]) {
    const { default: QueueService } = await import('#services/queue_service')
    const { SCHEDULED_JOBS } = await import('#jobs/schedule')
    for (const queueName of queueNames) {
      const scheduled = SCHEDULED_JOBS.filter(({ job }) => job.queue === queueName)
      for (const { job, everyMs } of scheduled) await QueueService.schedule(job, everyMs(), {})
      const removed = await QueueService.unscheduleAllBut(
        queueName,
        scheduled.map(({ job }) => job.name)
      )
      if (removed.length > 0) {
        this.logger.info(
          `Removed schedules no longer defined on ${queueName}: ${removed.join(', ')}`
        )
      }
    }
  }
}
