import env from '#start/env'
import { defineConfig } from '@rlanz/bull-queue'

/**
 * Queues, by priority: `high` carries user-facing chat replies, `default`
 * ordinary work, `low` exports and reports, `mail` outgoing mail.
 */
export const QUEUE_NAMES = ['high', 'default', 'low', 'mail'] as const
export type QueueName = (typeof QUEUE_NAMES)[number]

const connection = {
  host: env.get('REDIS_HOST'),
  port: env.get('REDIS_PORT'),
  password: env.get('REDIS_PASSWORD') || undefined,
  db: env.get('REDIS_DB', 0),
}

/**
 * BullMQ key prefix: keeps the test suite's queues apart from a developer's.
 */
const prefix = env.get('QUEUE_PREFIX', 'parley')

/**
 * How long finished jobs stay in Redis: the newest `QUEUE_KEEP_COMPLETED`
 * completed jobs of the last `QUEUE_COMPLETED_MAX_AGE_HOURS`, and failed
 * jobs for `QUEUE_FAILED_RETENTION_DAYS` (at most `QUEUE_KEEP_FAILED`) so an
 * operator can still retry them. BullMQ trims when a job finishes;
 * TrimOldData cleans queues that have gone quiet. Ages are in seconds.
 */
const retention = {
  completed: {
    count: env.get('QUEUE_KEEP_COMPLETED', 1000),
    age: env.get('QUEUE_COMPLETED_MAX_AGE_HOURS', 24) * 3600,
  },
  failed: {
    count: env.get('QUEUE_KEEP_FAILED', 5000),
    age: env.get('QUEUE_FAILED_RETENTION_DAYS', 7) * 24 * 3600,
  },
}

const packageConfig = defineConfig({
  defaultConnection: connection,
  queueNames: [...QUEUE_NAMES],
  queue: { prefix },
  /**
   * A job's lock lasts `lockDuration` (renewed at half of it while the job
   * runs); a worker that dies leaves its jobs locked that long, then the
   * stalled-job check (every `stalledInterval`) hands them to another
   * worker, once.
   */
  worker: {
    prefix,
    concurrency: 5,
    lockDuration: env.get('QUEUE_LOCK_DURATION_MS', 30_000),
    stalledInterval: env.get('QUEUE_LOCK_DURATION_MS', 30_000),
  },

  jobs: {
    /**
     * A failing job is retried with exponential backoff (1s, 2s, 4s…) and
     * kept in the failed set afterwards so an operator can retry it.
     */
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: retention.completed,
    removeOnFail: retention.failed,
  },
})

export default {
  ...packageConfig,

  retention,

  /**
   * Concurrency per queue for `node ace queue:listen`.
   */
  concurrency: { high: 10, default: 5, low: 2, mail: 5 } satisfies Record<QueueName, number>,

  /**
   * How long one attempt of a job may run (ms) before it fails with
   * JobTimeoutError and is retried like any failure; a job class may set
   * its own `static timeoutMs` (0: no limit).
   */
  timeouts: { high: 60_000, default: 300_000, low: 1_800_000, mail: 120_000 } satisfies Record<
    QueueName,
    number
  >,

  /**
   * Where job classes are looked up by name (`ProcessChatbotMessage` →
   * `process_chatbot_message.ts`). Test fixtures add their own jobs.
   */
  jobsPaths: ['app/jobs', ...(env.get('NODE_ENV') === 'test' ? ['tests/fixtures/jobs'] : [])],
}
