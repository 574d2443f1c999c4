import { Job } from '@rlanz/bull-queue'
import { DelayedError, type JobsOptions } from 'bullmq'
import type { QueueName } from '#config/queue'

/**
 * Every Parley job extends this class. A job is named by its class name
 * (`PruneAuditLogs`), which maps to its file (`prune_audit_logs.ts` in a
 * jobs directory of config/queue.ts); jobs carry ids, never models, and
 * must be idempotent because a job can be delivered more than once.
 */
export default abstract class BaseJob<Payload = Record<string, never>> extends Job {
  /**
   * The queue the job goes to unless the dispatcher says otherwise.
   */
  static queue: QueueName = 'default'

  /**
   * BullMQ options for this job (attempts, backoff…), over the defaults of
   * config/queue.ts.
   */
  static options: JobsOptions = {}

  /**
   * How long one attempt may run (ms) before it fails with JobTimeoutError
   * and is retried; the queue's timeout of config/queue.ts when unset, no
   * limit when 0.
   */
  static timeoutMs?: number

  /**
   * Aborted when the attempt times out (set by the runner). A long job
   * should pass it on (fetch, timers) or check it between steps and stop:
   * a handler that ignores it keeps running in the background while the
   * job is retried, which is safe only because jobs are idempotent.
   */
  signal: AbortSignal = new AbortController().signal

  /**
   * The worker's lock token of the delivery being handled (set by the
   * runner), needed to move the job.
   */
  workerToken?: string

  abstract handle(payload: Payload): Promise<void>

  /**
   * Whether this delivery is the job's last attempt.
   */
  protected isLastAttempt() {
    const job = this.getJob()
    return job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
  }

  /**
   * Puts the job back to run again in `ms` without counting an attempt
   * (e.g. a resource it needs is busy). Ends `handle`: call it as
   * `return this.retryLater(ms)`.
   */
  protected async retryLater(ms: number): Promise<never> {
    await this.getJob().moveToDelayed(Date.now() + ms, this.workerToken)
    throw new DelayedError()
  }

  /**
   * Called once after the last attempt failed.
   */
  async rescue(_payload: Payload, _error: Error): Promise<void> {}
}

export type JobClass<Payload = any> = {
  new (...args: any[]): BaseJob<Payload>
  queue: QueueName
  options: JobsOptions
  timeoutMs?: number
  name: string
}

/**
 * What is stored in BullMQ for each job.
 */
export type JobData<Payload = unknown> = {
  payload: Payload
  context: { request_id: string | null; organization_id: number | null }
}
