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

/** How often a worker writes the finished-job counts it has gathered. */
const COUNTS_FLUSH_MS = 1000

/**
 * Counts finished attempts (completed, or failed whether or not retried)
 * for the monitor's per-organization view, per minute; platform jobs count
 * as organization 0. Counts gather in memory and are written once a second
 * (one pipeline for all, instead of one per job) and by `flush` when the
 * worker stops. Never throws: a count Redis refuses is logged and dropped.
 */
export class FinishedJobCounter {
  #counts = new Map<number, Map<string, number>>()
  #timer = setInterval(() => void this.flush(), COUNTS_FLUSH_MS).unref()

  count(queue: string, organizationId: number | null | undefined, outcome: 'completed' | 'failed') {
    const minute = Math.floor(Date.now() / 60_000)
    let fields = this.#counts.get(minute)
    if (!fields) this.#counts.set(minute, (fields = new Map()))
    const field = `${organizationId ?? 0}:${queue}:${outcome}`
    fields.set(field, (fields.get(field) ?? 0) + 1)
  }

  async flush() {
    if (this.#counts.size === 0) return
    const counts = this.#counts
    this.#counts = new Map()
    const pipeline = redis.pipeline()
    for (const [minute, fields] of counts) {
      const key = queueKeys.organizationMinute(minute)
      for (const [field, count] of fields) pipeline.hincrby(key, field, count)
      pipeline.expire(key, 7200)
    }
    try {
      await execPipeline(pipeline)
    } catch (error) {
      logger.warn({ err: error }, 'finished jobs not counted for the queue monitor')
    }
  }

  async stop() {
    clearInterval(this.#timer)
    await this.flush()
  }
}
