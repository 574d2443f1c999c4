import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'
import {
  heartbeatAliveMs,
  heartbeatEveryMs,
  queueKeys,
  type ActiveJob,
  type WorkerHeartbeat,
} from '#support/queue_keys'

/**
 * Runs a Redis pipeline; a command's error (kept in the results by ioredis)
 * is raised like a lost connection.
 */
async function execPipeline(pipeline: ReturnType<typeof redis.pipeline>) {
  const results = (await pipeline.exec()) ?? []
  const failure = results.find(([error]) => error)
  if (failure) throw failure[0]
}

type HeartbeatSource = {
  queues: string[]
  concurrency: Record<string, number>
  active: () => ActiveJob[]
}

/**
 * Tells the queue monitor that this worker process is alive: every
 * `heartbeatEveryMs` it stores its `WorkerHeartbeat` (expiring after
 * `heartbeatAliveMs`, so a killed process disappears by itself) and its
 * time in the workers set. The timer never keeps a process alive; `stop`
 * removes both entries. A Redis error is logged, never thrown: it must not
 * stop the jobs.
 */
export class WorkerHeartbeatWriter {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  readonly #startedAt = new Date().toISOString()
  #timer?: NodeJS.Timeout
  #writing: Promise<void> = Promise.resolve()

  constructor(private source: HeartbeatSource) {}

  start() {
    this.#beat()
    this.#timer = setInterval(() => this.#beat(), heartbeatEveryMs()).unref()
    return this
  }

  async stop() {
    clearInterval(this.#timer)
    await this.#writing
    try {
      await execPipeline(
        redis.pipeline().del(queueKeys.worker(this.id)).zrem(queueKeys.workers(), this.id)
      )
    } catch (error) {
      logger.warn({ err: error, worker_id: this.id }, 'worker heartbeat not removed')
    }
  }

  /** One write at a time: a slow Redis never piles up heartbeats. */
  #beat() {
    this.#writing = this.#writing.then(() => this.#write())
  }

  async #write() {
    const now = new Date()
    const memory = process.memoryUsage()
    const heartbeat: WorkerHeartbeat = {
      id: this.id,
      hostname: hostname(),
      pid: process.pid,
      queues: this.source.queues,
      concurrency: this.source.concurrency,
      active: this.source.active(),
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      started_at: this.#startedAt,
      last_heartbeat_at: now.toISOString(),
    }
    try {
      await execPipeline(
        redis
          .pipeline()
          .set(queueKeys.worker(this.id), JSON.stringify(heartbeat), 'PX', heartbeatAliveMs())
          .zadd(queueKeys.workers(), now.getTime(), this.id)
      )
    } catch (error) {
      logger.warn({ err: error, worker_id: this.id }, 'worker heartbeat not written')
    }
  }
}

/**
 * Counts one finished attempt (completed, or failed whether or not it is
 * retried) for the monitor's per-organization view; platform jobs count
 * as organization 0. Never throws.
 */
export async function countFinishedJob(
  queue: string,
  organizationId: number | null | undefined,
  outcome: 'completed' | 'failed'
) {
  const key = queueKeys.organizationMinute(Math.floor(Date.now() / 60_000))
  try {
    await execPipeline(
      redis
        .pipeline()
        .hincrby(key, `${organizationId ?? 0}:${queue}:${outcome}`, 1)
        .expire(key, 7200)
    )
  } catch (error) {
    logger.warn({ err: error, queue }, 'finished job not counted for the queue monitor')
  }
}
