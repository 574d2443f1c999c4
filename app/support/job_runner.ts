import { access } from 'node:fs/promises'
import { MetricsTime, Worker, type Job as BullJob, type WorkerOptions } from 'bullmq'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import string from '@adonisjs/core/helpers/string'
import type { QueueName } from '#config/queue'
import { TenantContext } from '#support/tenant_context'
import { FinishedJobCounter, WorkerHeartbeatWriter } from '#support/worker_heartbeat'
import type { ActiveJob } from '#support/queue_keys'
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
 * An attempt ran past its timeout (the job class's `timeoutMs`, else its
 * queue's in config/queue.ts). It fails like any error: retried per its
 * attempts and backoff, then kept in the failed set with this message.
 */
export class JobTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`)
    this.name = 'JobTimeoutError'
  }
}

/**
 * Job classes found so far, by name: a worker looks each one up on disk and
 * imports it once, not at every job (both go through the module loader and
 * the file system, a few percent of a busy worker's time).
 */
const loadedJobClasses = new Map<string, JobClass>()

/**
 * Finds `FooBar` as `foo_bar.ts`/`.js` in the configured job directories.
 */
export async function loadJobClass(name: string): Promise<JobClass> {
  const known = loadedJobClasses.get(name)
  if (known) return known
  const JobClass = await findJobClass(name)
  loadedJobClasses.set(name, JobClass)
  return JobClass
}

async function findJobClass(name: string): Promise<JobClass> {
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
 * (so it can inject services) and calls `handle` with the payload. Past its
 * timeout the attempt fails with JobTimeoutError and `instance.signal` is
 * aborted; a handler that ignores the signal goes on in the background.
 */
export async function runJob(job: BullJob<JobData>, token?: string) {
  const JobClass = await loadJobClass(job.name)
  const instance = (await app.container.make(JobClass)) as BaseJob<unknown>
  const jobLogger = logger.child({
    job_id: job.id,
    job: job.name,
    queue: job.queueName,
    request_id: job.data?.context?.request_id ?? null,
  })
  // The package types `logger` as the manager; a child logger has the same methods.
  instance.$injectInternal({ job, logger: jobLogger as unknown as typeof logger })
  instance.workerToken = token
  const controller = new AbortController()
  instance.signal = controller.signal

  const handling = inJobTenant(job, () => instance.handle(job.data?.payload))
  const timeoutMs =
    JobClass.timeoutMs ?? app.config.get<number>(`queue.timeouts.${job.queueName}`, 0)
  if (!timeoutMs) return handling

  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new JobTimeoutError(timeoutMs)
      reject(error)
      controller.abort(error)
      handling.then(
        () => jobLogger.warn('timed-out job finished in the background'),
        () => {}
      )
    }, timeoutMs)
  })
  try {
    await Promise.race([handling, timeout])
  } finally {
    clearTimeout(timer)
  }
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
 * The BullMQ workers of one process, one per queue, with the heartbeat
 * that shows them (and the jobs they run) in the queue monitor. `close()`
 * stops taking new jobs and resolves once the jobs in flight have
 * finished, then removes the heartbeat.
 */
export class WorkerPool {
  #workers: Worker[] = []
  #active = new Map<string, ActiveJob>()
  #heartbeat?: WorkerHeartbeatWriter
  #finished?: FinishedJobCounter

  start(queueNames: QueueName[], overrides: Partial<WorkerOptions> = {}) {
    const config = app.config.get<any>('queue')
    const finished = (this.#finished ??= new FinishedJobCounter())
    const concurrency: Record<string, number> = {}
    for (const queueName of queueNames) {
      concurrency[queueName] = config.concurrency?.[queueName] ?? config.worker.concurrency ?? 1
      const worker = new Worker<JobData>(queueName, (job, token) => this.#run(job, token), {
        // Jobs per minute for the monitor (`queue.getMetrics`), kept a week.
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
        ...config.worker,
        ...overrides,
        connection: config.worker.connection ?? config.defaultConnection,
        concurrency: concurrency[queueName],
      })

      worker.on('completed', (job) => {
        finished.count(queueName, job.data?.context?.organization_id, 'completed')
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
        finished.count(queueName, job?.data?.context?.organization_id, 'failed')
        if (job) void rescueJob(job, error)
      })
      worker.on('error', (error) => logger.error({ err: error, queue: queueName }, 'worker error'))
      this.#workers.push(worker)
    }

    this.#heartbeat = new WorkerHeartbeatWriter({
      queues: [...queueNames],
      concurrency,
      active: () => [...this.#active.values()],
    }).start()
    return this
  }

  get workers() {
    return this.#workers
  }

  /** The monitor's id of this process's workers. */
  get id() {
    return this.#heartbeat?.id
  }

  async close() {
    await Promise.all(this.#workers.map((worker) => worker.close()))
    this.#workers = []
    await this.#finished?.stop()
    this.#finished = undefined
    await this.#heartbeat?.stop()
    this.#heartbeat = undefined
  }

  async #run(job: BullJob<JobData>, token?: string) {
    const key = `${job.queueName}:${job.id}`
    this.#active.set(key, {
      queue: job.queueName,
      id: String(job.id),
      name: job.name,
      started_at: new Date().toISOString(),
    })
    try {
      return await runJob(job, token)
    } finally {
      this.#active.delete(key)
    }
  }
}
