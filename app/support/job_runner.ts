import { access } from 'node:fs/promises'
import { Worker, type Job as BullJob, type WorkerOptions } from 'bullmq'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import string from '@adonisjs/core/helpers/string'
import type { QueueName } from '#config/queue'
import { TenantContext } from '#support/tenant_context'
import type BaseJob from '#jobs/base_job'
import type { JobClass, JobData } from '#jobs/base_job'

const JOB_NAME = /^[A-Z][A-Za-z0-9]{0,99}$/

/**
 * Raised when a job's class cannot be found or loaded. The job then fails
 * (and is retried, then kept in the failed set for an operator to retry
 * after a fix) instead of being counted as completed, which is what
 * @rlanz/bull-queue's own worker would do.
 */
export class JobNotLoadableError extends Error {
  constructor(name: string, reason: string) {
    super(`Job class "${name}" could not be loaded: ${reason}`)
    this.name = 'JobNotLoadableError'
  }
}

/**
 * Finds `FooBar` as `foo_bar.ts`/`.js` in the configured job directories.
 */
export async function loadJobClass(name: string): Promise<JobClass> {
  if (!JOB_NAME.test(name)) {
    throw new JobNotLoadableError(name, 'job names are class names (letters and digits)')
  }

  const fileName = string.snakeCase(name)
  const directories = app.config.get<string[]>('queue.jobsPaths')
  for (const directory of directories) {
    for (const extension of ['.js', '.ts']) {
      const url = app.makeURL(directory, `${fileName}${extension}`)
      if (
        !(await access(url).then(
          () => true,
          () => false
        ))
      )
        continue

      const module = await import(url.href)
      const JobClass = module.default as JobClass | undefined
      if (!JobClass || JobClass.name !== name) {
        throw new JobNotLoadableError(
          name,
          `${directory}/${fileName} does not export it as default`
        )
      }
      return JobClass
    }
  }

  throw new JobNotLoadableError(name, `no ${fileName} file in ${directories.join(', ')}`)
}

/**
 * Runs one delivered job: loads its class, builds it through the container
 * (so it can inject services) and calls `handle` with the payload.
 */
export async function runJob(job: BullJob<JobData>, token?: string) {
  const JobClass = await loadJobClass(job.name)
  const instance = (await app.container.make(JobClass)) as BaseJob<unknown>
  instance.$injectInternal({
    job,
    // The package types `logger` as the manager; a child logger has the same methods.
    logger: logger.child({
      job_id: job.id,
      job: job.name,
      queue: job.queueName,
      request_id: job.data?.context?.request_id ?? null,
    }) as unknown as typeof logger,
  })
  instance.workerToken = token
  await inJobTenant(job, () => instance.handle(job.data?.payload))
}

/**
 * Jobs run in the organization they were dispatched for.
 */
function inJobTenant<T>(job: BullJob<JobData>, callback: () => T): T {
  const organizationId = job.data?.context?.organization_id
  return organizationId ? TenantContext.run(organizationId, callback) : callback()
}

/**
 * After the last attempt, gives the job a chance to compensate (`rescue`).
 */
async function rescueJob(job: BullJob<JobData>, error: Error) {
  const attempts = job.opts.attempts ?? 1
  if (job.attemptsMade < attempts) return

  try {
    const JobClass = await loadJobClass(job.name)
    const instance = (await app.container.make(JobClass)) as BaseJob<unknown>
    await inJobTenant(job, () => instance.rescue(job.data?.payload, error))
  } catch (rescueError) {
    logger.error({ err: rescueError, job_id: job.id, job: job.name }, 'job rescue failed')
  }
}

/**
 * The BullMQ workers of one process, one per queue. `close()` stops taking
 * new jobs and resolves once the jobs in flight have finished.
 */
export class WorkerPool {
  #workers: Worker[] = []

  start(queueNames: QueueName[], overrides: Partial<WorkerOptions> = {}) {
    const config = app.config.get<any>('queue')
    for (const queueName of queueNames) {
      const worker = new Worker<JobData>(queueName, runJob, {
        ...config.worker,
        ...overrides,
        connection: config.worker.connection ?? config.defaultConnection,
        concurrency: config.concurrency?.[queueName] ?? config.worker.concurrency ?? 1,
      })

      worker.on('failed', (job, error) => {
        logger.error(
          {
            err: error,
            job_id: job?.id,
            job: job?.name,
            queue: queueName,
            attempts: job?.attemptsMade,
          },
          'job failed'
        )
        if (job) void rescueJob(job, error)
      })
      worker.on('error', (error) => logger.error({ err: error, queue: queueName }, 'worker error'))
      this.#workers.push(worker)
    }
    return this
  }

  get workers() {
    return this.#workers
  }

  async close() {
    await Promise.all(this.#workers.map((worker) => worker.close()))
    this.#workers = []
  }
}
