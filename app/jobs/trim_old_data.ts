import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import redis from '@adonisjs/redis/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import BaseJob from '#jobs/base_job'
import { QUEUE_NAMES } from '#config/queue'
import { deleteInBatches } from '#support/batched_delete'
import { queueKeys } from '#support/queue_keys'
import { sqlTime } from '#support/sql_time'

/** Expired API tokens stay listed (as expired) this long, then go. */
const EXPIRED_ACCESS_TOKEN_DAYS = 30
/** Workers not heard from for this long leave the monitor's list. */
const GONE_WORKER_MS = 24 * 3_600_000
const CLEAN_BATCH = 1000

type QueueConfig = typeof import('#config/queue').default

/**
 * Deletes what can no longer be of use, in batches, idempotently (scheduled
 * hourly, app/jobs/schedule.ts):
 * - mailed secrets (`user_tokens`) and remember-me tokens expired or used
 *   more than a day ago;
 * - API tokens expired more than 30 days ago (audit entries keep only the
 *   token's id, so nothing else points at them);
 * - completed and failed jobs past their retention (config/queue.ts) on
 *   every queue, which BullMQ trims only when more jobs finish;
 * - workers gone from the monitor for a day.
 */
export default class TrimOldData extends BaseJob {
  static queue = 'low' as const

  async handle() {
    const now = DateTime.utc()
    const dayAgo = sqlTime(now.minus({ days: 1 }))

    const removed = {
      user_tokens: await deleteInBatches('user_tokens', (query) =>
        query.where((expired) =>
          expired.where('expires_at', '<', dayAgo).orWhere('used_at', '<', dayAgo)
        )
      ),
      remember_me_tokens: await deleteInBatches('remember_me_tokens', (query) =>
        query.where('expires_at', '<', dayAgo)
      ),
      access_tokens: await deleteInBatches('access_tokens', (query) =>
        query.where('expires_at', '<', sqlTime(now.minus({ days: EXPIRED_ACCESS_TOKEN_DAYS })))
      ),
      ...(await this.cleanQueues()),
      gone_workers: await redis.zremrangebyscore(
        queueKeys.workers(),
        '-inf',
        Date.now() - GONE_WORKER_MS
      ),
    }

    this.logger.info({ removed }, 'trimmed old data')
  }

  /**
   * Removes finished jobs older than their retention from every queue.
   */
  protected async cleanQueues() {
    const { retention } = app.config.get<QueueConfig>('queue')
    const removed = { completed_jobs: 0, failed_jobs: 0 }
    for (const name of QUEUE_NAMES) {
      const queue = queueManager.getOrSet(name)
      for (const [state, ageSeconds] of [
        ['completed', retention.completed.age],
        ['failed', retention.failed.age],
      ] as const) {
        for (;;) {
          const ids = await queue.clean(ageSeconds * 1000, CLEAN_BATCH, state)
          removed[`${state}_jobs`] += ids.length
          if (ids.length < CLEAN_BATCH) break
        }
      }
    }
    return removed
  }
}
