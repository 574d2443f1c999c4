import type { JobsOptions } from 'bullmq'
import { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import queueManager from '@rlanz/bull-queue/services/main'
import type { QueueName } from '#config/queue'
import { TenantContext } from '#support/tenant_context'
import type { JobClass, JobData } from '#jobs/base_job'

type DispatchOptions = JobsOptions & { queueName?: QueueName; organizationId?: number | null }

/**
 * The only way Parley enqueues work. Jobs are stored under their class
 * name (not the file URL @rlanz/bull-queue would use, which changes between
 * the TypeScript and compiled app) with the payload and the context they
 * run in: the request that dispatched them and the organization (the
 * current tenant unless given), which the worker enters before `handle`.
 */
export default class QueueService {
  static async dispatch<Payload>(
    Job: JobClass<Payload>,
    payload: Payload,
    options: DispatchOptions = {}
  ) {
    const {
      queueName = Job.queue,
      organizationId = TenantContext.currentId(),
      ...jobOptions
    } = options
    const data: JobData<Payload> = {
      payload,
      context: {
        request_id: HttpContext.get()?.request.id() ?? null,
        organization_id: organizationId,
      },
    }

    return queueManager.getOrSet(queueName).add(Job.name, data, {
      ...app.config.get<JobsOptions>('queue.jobs'),
      ...Job.options,
      ...jobOptions,
    })
  }

  /**
   * Repeats a job every `everyMs` (a BullMQ job scheduler, no cron
   * daemon): registering it again only updates it, so every worker may do
   * it at start.
   */
  static async schedule<Payload>(Job: JobClass<Payload>, everyMs: number, payload: Payload) {
    const data: JobData<Payload> = {
      payload,
      context: { request_id: null, organization_id: null },
    }
    return queueManager.getOrSet(Job.queue).upsertJobScheduler(
      Job.name,
      { every: everyMs },
      {
        name: Job.name,
        data,
        opts: { ...app.config.get<JobsOptions>('queue.jobs'), ...Job.options },
      }
    )
  }

  /**
   * Removes the schedulers of a queue whose job is not in `keep` (dropped
   * from app/jobs/schedule.ts), so a removed schedule stops repeating.
   * Returns their names.
   */
  static async unscheduleAllBut(queueName: QueueName, keep: string[]) {
    const queue = queueManager.getOrSet(queueName)
    const schedulers = await queue.getJobSchedulers(0, -1)
    const stale = schedulers.filter((scheduler) => !keep.includes(scheduler.key))
    for (const scheduler of stale) await queue.removeJobScheduler(scheduler.key)
    return stale.map((scheduler) => scheduler.key)
  }
}
