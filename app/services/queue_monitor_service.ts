import type { Job, Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import { QUEUE_NAMES, type QueueName } from '#config/queue'
import ApiException from '#exceptions/api_exception'
import type { AuditedChange } from '#services/audit_service'
import type { JobData } from '#jobs/base_job'
import { redact } from '#support/redact'
import {
  heartbeatAliveMs,
  queueKeys,
  type HealthSnapshot,
  type WorkerHeartbeat,
} from '#support/queue_keys'

export type Percentiles = { p50: number | null; p95: number | null }

export type QueueCounts = {
  waiting: number
  active: number
  delayed: number
  prioritized: number
  completed: number
  failed: number
  paused: number
}

export type QueueSummary = {
  name: QueueName
  paused: boolean
  counts: QueueCounts
  concurrency: number
  /** 0 when the queue has no timeout. */
  timeout_ms: number
  /** The last 60 minutes, oldest first. */
  per_minute: { minute: string; completed: number; failed: number }[]
  completed_last_hour: number
  failed_last_hour: number
  /** failed / (completed + failed) over the last hour; null when nothing finished. */
  failure_rate: number | null
  wait_ms: Percentiles
  runtime_ms: Percentiles
}

export type ScheduledJob = {
  key: string
  name: string
  queue: QueueName
  every_ms: number | null
  pattern: string | null
  next_run_at: string | null
}

export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'completed',
  'failed',
  'paused',
] as const
export type JobState = (typeof JOB_STATES)[number]

/** States an operator may empty in one go (never `active`: those jobs are locked by workers). */
export const CLEARABLE_STATES = [
  'waiting',
  'delayed',
  'completed',
  'failed',
  'paused',
  'prioritized',
] as const
export type ClearableState = (typeof CLEARABLE_STATES)[number]

export type JobSummary = {
  id: string
  name: string
  queue: QueueName
  state: JobState
  organization_id: number | null
  attempts_made: number
  max_attempts: number
  failed_reason: string | null
  created_at: string
  processed_at: string | null
  finished_at: string | null
  wait_ms: number | null
  runtime_ms: number | null
}

export type JobDetail = JobSummary & {
  stacktrace: string[]
  payload: unknown
  request_id: string | null
  delay_ms: number
  return_value: unknown
}

export type WorkerInfo = WorkerHeartbeat & { alive: boolean }

type LoadCounts = {
  waiting: number
  active: number
  delayed: number
  failed: number
  completed_last_hour: number
  failed_last_hour: number
}

export type OrganizationLoad = LoadCounts & {
  /** null: platform jobs (no organization). */
  organization_id: number | null
  organization_name: string | null
  queues: Record<string, LoadCounts>
}

export type JobFilters = {
  state: JobState
  page: number
  perPage: number
  /** 0 selects platform jobs (dispatched outside any organization). */
  organizationId?: number
}

/** How many of the newest jobs of a state a filtered list or the organizations view reads. */
const SCAN_WINDOW = 1000
/** How many of the newest completed jobs the wait/runtime percentiles come from. */
const PERCENTILE_SAMPLE = 500
/** Jobs removed per Redis call when a queue is cleared (one Lua script blocks Redis while it runs). */
const CLEAN_BATCH = 1000
const MINUTES = 60
const MINUTE_MS = 60_000
/** Worker entries whose heartbeat vanished this long ago are dropped from the set. */
const FORGET_WORKER_MS = 60 * MINUTE_MS
const LOAD_STATES = ['waiting', 'active', 'delayed', 'failed'] as const

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null)

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function percentiles(values: number[]): Percentiles {
  const sorted = values.filter((value) => value >= 0).sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) }
}

/** An organization id, or null for platform work (no organization, or the counters' 0). */
function toOrganizationId(value: unknown): number | null {
  const id = Number(value)
  return Number.isSafeInteger(id) && id > 0 ? id : null
}

const organizationOf = (data: Partial<JobData> | undefined) =>
  toOrganizationId(data?.context?.organization_id)

/** BullMQ's state of a job, as the monitor names it. */
function monitorState(state: string): JobState | null {
  if (state === 'waiting-children') return 'waiting'
  return (JOB_STATES as readonly string[]).includes(state) ? (state as JobState) : null
}

function emptyLoad(): LoadCounts {
  return {
    waiting: 0,
    active: 0,
    delayed: 0,
    failed: 0,
    completed_last_hour: 0,
    failed_last_hour: 0,
  }
}

/**
 * What the queue monitor (console page, admin API, ace commands) reads and
 * does: BullMQ's own counts, metrics and job lists, the workers' heartbeats
 * and per-organization counters of app/support/queue_keys.ts, and the
 * operator actions, each returning the audit entry it is owed (a platform
 * entry: no organization). Payloads and return values are only ever shown
 * redacted; the organizations view holds counts and ids, never job data.
 */
export default class QueueMonitorService {
  /**
   * The queue named `name`, or a 404 that lists the known ones.
   */
  static queue(name: string): QueueName {
    if ((QUEUE_NAMES as readonly string[]).includes(name)) return name as QueueName
    throw ApiException.notFound(`Unknown queue "${name}". Known queues: ${QUEUE_NAMES.join(', ')}`)
  }

  static async overview(): Promise<QueueSummary[]> {
    return Promise.all(QUEUE_NAMES.map((name) => this.summary(name)))
  }

  static async summary(name: QueueName): Promise<QueueSummary> {
    const queue = this.bull(name)
    const [counts, paused, perMinute, timings] = await Promise.all([
      queue.getJobCounts(...JOB_STATES),
      queue.isPaused(),
      this.perMinute(queue),
      this.timings(queue),
    ])
    const completed = perMinute.reduce((sum, point) => sum + point.completed, 0)
    const failed = perMinute.reduce((sum, point) => sum + point.failed, 0)
    const config = app.config.get<any>('queue')
    const timeouts = app.config.get<Partial<Record<QueueName, number>>>('queue.timeouts', {})

    return {
      name,
      paused,
      counts: {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        prioritized: counts.prioritized ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        paused: counts.paused ?? 0,
      },
      concurrency: config.concurrency?.[name] ?? config.worker?.concurrency ?? 1,
      timeout_ms: timeouts[name] ?? 0,
      per_minute: perMinute,
      completed_last_hour: completed,
      failed_last_hour: failed,
      failure_rate: completed + failed > 0 ? failed / (completed + failed) : null,
      ...timings,
    }
  }

  /**
   * Repeating jobs (BullMQ job schedulers) of every queue, soonest first.
   */
  static async schedules(): Promise<ScheduledJob[]> {
    const perQueue = await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const schedulers = await this.bull(name).getJobSchedulers(0, -1, true)
        return schedulers.map((scheduler) => ({
          key: scheduler.key,
          name: scheduler.name,
          queue: name,
          every_ms: scheduler.every ?? null,
          pattern: scheduler.pattern ?? null,
          next_run_at: iso(scheduler.next),
        }))
      })
    )
    return perQueue
      .flat()
      .sort((a, b) => (a.next_run_at ?? '~').localeCompare(b.next_run_at ?? '~'))
  }

  /**
   * Worker processes from their heartbeats. Entries whose heartbeat record
   * expired long ago are removed from the set, so it does not grow with
   * every deploy.
   */
  static async workers(): Promise<WorkerInfo[]> {
    const now = Date.now()
    const entries = await redis.zrange(queueKeys.workers(), 0, -1, 'WITHSCORES')
    const ids: string[] = []
    const seenAt = new Map<string, number>()
    for (let index = 0; index < entries.length; index += 2) {
      ids.push(entries[index])
      seenAt.set(entries[index], Number(entries[index + 1]))
    }
    if (ids.length === 0) return []

    const records = await redis.mget(ids.map((id) => queueKeys.worker(id)))
    const workers: WorkerInfo[] = []
    const gone: string[] = []
    ids.forEach((id, index) => {
      const record = records[index]
      if (!record) {
        if (now - (seenAt.get(id) ?? 0) > Math.max(heartbeatAliveMs(), FORGET_WORKER_MS)) {
          gone.push(id)
        }
        return
      }
      const heartbeat = JSON.parse(record) as WorkerHeartbeat
      const last = Date.parse(heartbeat.last_heartbeat_at) || seenAt.get(id) || 0
      workers.push({ ...heartbeat, alive: now - last <= heartbeatAliveMs() })
    })
    if (gone.length > 0) await redis.zrem(queueKeys.workers(), ...gone)

    return workers.sort(
      (a, b) => a.hostname.localeCompare(b.hostname) || a.started_at.localeCompare(b.started_at)
    )
  }

  /**
   * One page of a queue's jobs in a state, newest first. With an
   * organization, only the newest `SCAN_WINDOW` jobs of the state are
   * looked at (`scanned` says how many), so a huge backlog cannot make the
   * page slow.
   */
  static async jobs(
    name: QueueName,
    filters: JobFilters
  ): Promise<{
    rows: JobSummary[]
    page: number
    perPage: number
    total: number
    scanned?: number
  }> {
    const { state, page, perPage, organizationId } = filters
    const queue = this.bull(name)
    const start = (page - 1) * perPage

    if (organizationId === undefined) {
      const [jobs, total] = await Promise.all([
        queue.getJobs([state], start, start + perPage - 1, false),
        queue.getJobCountByTypes(state),
      ])
      return {
        rows: jobs.slice(0, perPage).map((job) => this.summarize(job, name, state)),
        page,
        perPage,
        total,
      }
    }

    const wanted = organizationId === 0 ? null : organizationId
    const scanned = await queue.getJobs([state], 0, SCAN_WINDOW - 1, false)
    const matching = scanned.filter((job) => organizationOf(job.data) === wanted)
    return {
      rows: matching.slice(start, start + perPage).map((job) => this.summarize(job, name, state)),
      page,
      perPage,
      total: matching.length,
      scanned: scanned.length,
    }
  }

  /**
   * One job with its error, stack and (redacted) payload and result.
   */
  static async job(name: QueueName, id: string): Promise<JobDetail> {
    const { job, state } = await this.find(name, id)
    return {
      ...this.summarize(job, name, state),
      stacktrace: job.stacktrace ?? [],
      payload: redact(job.data?.payload ?? null),
      request_id: job.data?.context?.request_id ?? null,
      delay_ms: job.delay ?? 0,
      return_value: redact(job.returnvalue ?? null),
    }
  }

  /**
   * Runs a failed (or completed) job once more.
   */
  static async retryJob(name: QueueName, id: string): Promise<AuditedChange> {
    const { job, state } = await this.find(name, id)
    if (state !== 'failed' && state !== 'completed') {
      throw ApiException.conflict(
        `Job ${id} is ${state}: only failed or completed jobs can be retried.`,
        'JOB_NOT_RETRYABLE'
      )
    }
    try {
      await job.retry(state)
    } catch (error) {
      throw ApiException.conflict(
        `Job ${id} could not be retried (${(error as Error).message}). Reload and try again.`,
        'JOB_NOT_RETRYABLE'
      )
    }
    return {
      action: 'queue.job_retried',
      organizationId: null,
      subject: { type: 'job', id: `${name}:${id}` },
      changes: { queue: name, job_id: id, name: job.name, state: { from: state, to: 'waiting' } },
    }
  }

  /**
   * Moves every job that has failed so far back to waiting, each for one
   * more run.
   */
  static async retryFailed(name: QueueName): Promise<AuditedChange & { count: number }> {
    const queue = this.bull(name)
    // Jobs failing after this instant stay failed: the count is exactly what is retried.
    const until = Date.now()
    const client = await this.client(queue)
    const count = await client.zcount(queue.toKey('failed'), 0, until)
    if (count > 0) {
      await queue.retryJobs({ state: 'failed', count: CLEAN_BATCH, timestamp: until })
    }
    return {
      action: 'queue.failed_retried',
      organizationId: null,
      subject: { type: 'queue', id: name },
      changes: { queue: name, count },
      count,
    }
  }

  /**
   * Removes a job that is not running.
   */
  static async deleteJob(name: QueueName, id: string): Promise<AuditedChange> {
    const { job, state } = await this.find(name, id)
    const running = () =>
      ApiException.conflict(
        `Job ${id} is running: wait for it to finish (or fail), then delete it.`,
        'JOB_ACTIVE'
      )
    if (state === 'active') throw running()
    // 0: locked by a worker that took it meanwhile.
    if ((await this.bull(name).remove(id)) === 0) throw running()
    return {
      action: 'queue.job_deleted',
      organizationId: null,
      subject: { type: 'job', id: `${name}:${id}` },
      changes: { queue: name, job_id: id, name: job.name, state },
    }
  }

  /**
   * Stops workers from taking jobs of the queue (jobs in flight finish).
   */
  static async pause(name: QueueName): Promise<AuditedChange> {
    return this.setPaused(name, true)
  }

  static async resume(name: QueueName): Promise<AuditedChange> {
    return this.setPaused(name, false)
  }

  /**
   * Removes every job of the queue in `state`. `waiting` also takes the
   * jobs held by a pause (BullMQ keeps those apart, as `paused`).
   */
  static async clear(
    name: QueueName,
    state: ClearableState
  ): Promise<AuditedChange & { count: number }> {
    const queue = this.bull(name)
    const sets = state === 'waiting' ? (['wait', 'paused'] as const) : [state]
    let count = 0
    for (const set of sets) {
      for (;;) {
        const removed = await queue.clean(0, CLEAN_BATCH, set)
        count += removed.length
        if (removed.length < CLEAN_BATCH) break
      }
    }
    return {
      action: 'queue.cleared',
      organizationId: null,
      subject: { type: 'queue', id: name },
      changes: { queue: name, state, count },
      count,
    }
  }

  /**
   * Which organizations produce the load and the failures: jobs waiting,
   * running, delayed and failed (the newest `SCAN_WINDOW` of each state per
   * queue) and jobs finished in the last hour, by organization, busiest
   * first. Counts and ids only.
   */
  static async organizations(): Promise<OrganizationLoad[]> {
    const loads = new Map<number | null, OrganizationLoad>()
    const loadOf = (organizationId: number | null, queue: string) => {
      let load = loads.get(organizationId)
      if (!load) {
        load = {
          organization_id: organizationId,
          organization_name: null,
          ...emptyLoad(),
          queues: {},
        }
        loads.set(organizationId, load)
      }
      load.queues[queue] ??= emptyLoad()
      return { total: load, queue: load.queues[queue] }
    }

    await Promise.all(
      QUEUE_NAMES.flatMap((name) =>
        LOAD_STATES.map(async (state) => {
          for (const organizationId of await this.organizationsOfJobs(name, state)) {
            const { total, queue } = loadOf(organizationId, name)
            total[state]++
            queue[state]++
          }
        })
      )
    )

    for (const [field, count] of Object.entries(await this.finishedByOrganization())) {
      const [organization, queueName, outcome] = field.split(':')
      if (!(QUEUE_NAMES as readonly string[]).includes(queueName)) continue
      const key = outcome === 'failed' ? 'failed_last_hour' : 'completed_last_hour'
      const { total, queue } = loadOf(toOrganizationId(organization), queueName)
      total[key] += count
      queue[key] += count
    }

    const ids = [...loads.keys()].filter((id): id is number => id !== null)
    if (ids.length > 0) {
      const rows = await db.from('organizations').select('id', 'name').whereIn('id', ids)
      for (const row of rows) loads.get(Number(row.id))!.organization_name = row.name
    }

    const weight = (load: OrganizationLoad) =>
      load.waiting + load.active + load.delayed + load.completed_last_hour + load.failed_last_hour
    return [...loads.values()].sort(
      (a, b) =>
        weight(b) - weight(a) ||
        b.failed + b.failed_last_hour - (a.failed + a.failed_last_hour) ||
        (a.organization_id ?? 0) - (b.organization_id ?? 0)
    )
  }

  /**
   * The last health check of the scheduled health snapshot job.
   */
  static async healthSnapshot(): Promise<HealthSnapshot | null> {
    const value = await redis.get(queueKeys.healthSnapshot())
    if (!value) return null
    try {
      return JSON.parse(value) as HealthSnapshot
    } catch {
      return null
    }
  }

  protected static bull(name: QueueName): Queue<JobData> {
    return queueManager.getOrSet(name) as Queue<JobData>
  }

  /** BullMQ's own connection, as the ioredis client it is (its declared type is minimal). */
  protected static async client(queue: Queue) {
    return (await queue.client) as unknown as Redis
  }

  protected static async find(name: QueueName, id: string) {
    const missing = () => ApiException.notFound(`No job ${id} in the "${name}" queue.`)
    if (id.length === 0 || id.length > 255) throw missing()
    const job = (await this.bull(name).getJob(id)) as Job<JobData> | undefined
    if (!job) throw missing()
    const state = monitorState(await job.getState())
    if (!state) throw missing()
    return { job, state }
  }

  protected static summarize(job: Job<JobData>, name: QueueName, state: JobState): JobSummary {
    const readyAt = job.timestamp + (job.delay ?? 0)
    return {
      id: String(job.id),
      name: job.name,
      queue: name,
      state,
      organization_id: organizationOf(job.data),
      attempts_made: job.attemptsMade,
      max_attempts: job.opts.attempts ?? 1,
      failed_reason: job.failedReason || null,
      created_at: new Date(job.timestamp).toISOString(),
      processed_at: iso(job.processedOn),
      finished_at: iso(job.finishedOn),
      // A scheduled job's stored timing does not say when it became due.
      wait_ms: job.processedOn && !job.repeatJobKey ? Math.max(0, job.processedOn - readyAt) : null,
      runtime_ms: job.processedOn && job.finishedOn ? job.finishedOn - job.processedOn : null,
    }
  }

  protected static async setPaused(name: QueueName, paused: boolean): Promise<AuditedChange> {
    const queue = this.bull(name)
    const was = await queue.isPaused()
    if (paused) await queue.pause()
    else await queue.resume()
    return {
      action: paused ? 'queue.paused' : 'queue.resumed',
      organizationId: null,
      subject: { type: 'queue', id: name },
      changes: { queue: name, paused: { from: was, to: paused } },
    }
  }

  /**
   * Completed and failed jobs per minute over the last hour, oldest first,
   * from BullMQ's worker metrics. Their list only grows when a job
   * finishes: the newest point is `prevTS`'s minute (its count is
   * `count - prevCount`), `data[i]` is the minute `i + 1` before it, and
   * quiet minutes since then are zero.
   */
  protected static async perMinute(queue: Queue) {
    const [completed, failed] = await Promise.all(
      (['completed', 'failed'] as const).map(async (type) => {
        const metrics = await queue.getMetrics(type, 0, MINUTES - 1)
        const byMinute = new Map<number, number>()
        if (metrics.meta.prevTS > 0) {
          const last = Math.floor(metrics.meta.prevTS / MINUTE_MS)
          byMinute.set(last, Math.max(0, metrics.meta.count - metrics.meta.prevCount))
          metrics.data.forEach((value, index) => byMinute.set(last - 1 - index, value))
        }
        return byMinute
      })
    )
    const now = Math.floor(Date.now() / MINUTE_MS)
    return Array.from({ length: MINUTES }, (_, index) => {
      const minute = now - (MINUTES - 1) + index
      return {
        minute: new Date(minute * MINUTE_MS).toISOString(),
        completed: completed.get(minute) ?? 0,
        failed: failed.get(minute) ?? 0,
      }
    })
  }

  /**
   * Wait and runtime percentiles of the newest completed jobs, read from
   * their timing fields only (never their data). Wait counts jobs that
   * succeeded at their first attempt, so backoff between retries is not
   * mistaken for queueing, and leaves out scheduled jobs, whose stored
   * timing does not say when they became due.
   */
  protected static async timings(queue: Queue) {
    const client = await this.client(queue)
    const ids = await client.zrevrange(queue.toKey('completed'), 0, PERCENTILE_SAMPLE - 1)
    if (ids.length === 0) return { wait_ms: percentiles([]), runtime_ms: percentiles([]) }

    const pipeline = client.pipeline()
    for (const id of ids) {
      pipeline.hmget(
        queue.toKey(id),
        'timestamp',
        'delay',
        'processedOn',
        'finishedOn',
        'atm',
        'rjk'
      )
    }
    const waits: number[] = []
    const runtimes: number[] = []
    for (const [error, fields] of (await pipeline.exec()) ?? []) {
      if (error || !Array.isArray(fields)) continue
      const [timestamp, delay, processedOn, finishedOn, attempts] = fields.slice(0, 5).map(Number)
      const scheduled = Boolean(fields[5])
      if (!processedOn) continue
      if (finishedOn) runtimes.push(finishedOn - processedOn)
      if (timestamp && !scheduled && (attempts || 1) <= 1) {
        waits.push(processedOn - timestamp - (delay || 0))
      }
    }
    return { wait_ms: percentiles(waits), runtime_ms: percentiles(runtimes) }
  }

  /**
   * Organization of each of the newest jobs of a state, read from the job
   * data alone (one pipeline).
   */
  protected static async organizationsOfJobs(name: QueueName, state: (typeof LOAD_STATES)[number]) {
    const queue = this.bull(name)
    const ids = await queue.getRanges([state], 0, SCAN_WINDOW - 1, false)
    if (ids.length === 0) return []
    const client = await this.client(queue)
    const pipeline = client.pipeline()
    for (const id of ids) pipeline.hget(queue.toKey(id), 'data')
    const organizations: (number | null)[] = []
    for (const [error, data] of (await pipeline.exec()) ?? []) {
      if (error || typeof data !== 'string') continue
      try {
        organizations.push(organizationOf(JSON.parse(data)))
      } catch {
        organizations.push(null)
      }
    }
    return organizations
  }

  /**
   * Sum of the last hour's per-organization counters written by workers
   * (`<organization or 0>:<queue>:completed|failed` → count).
   */
  protected static async finishedByOrganization() {
    const now = Math.floor(Date.now() / MINUTE_MS)
    const pipeline = redis.pipeline()
    for (let minute = now - MINUTES + 1; minute <= now; minute++) {
      pipeline.hgetall(queueKeys.organizationMinute(minute))
    }
    const totals: Record<string, number> = {}
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error || !hash) continue
      for (const [field, value] of Object.entries(hash as Record<string, string>)) {
        totals[field] = (totals[field] ?? 0) + (Number(value) || 0)
      }
    }
    return totals
  }
}
