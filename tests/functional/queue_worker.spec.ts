import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import queueManager from '@rlanz/bull-queue/services/main'
import env from '#start/env'
import QueueService from '#services/queue_service'
import PruneAuditLogs from '#jobs/prune_audit_logs'
import TrimOldData from '#jobs/trim_old_data'
import RecordHealthSnapshot from '#jobs/record_health_snapshot'
import { WorkerPool } from '#support/job_runner'
import { TenantContext } from '#support/tenant_context'
import { sqlTime } from '#support/sql_time'
import { queueKeys, type HealthSnapshot, type WorkerHeartbeat } from '#support/queue_keys'
import { AuditLogFactory } from '#database/factories/audit_log_factory'
import { auditQuery } from '#tests/helpers/audit'
import { createOrganization, tokenFor } from '#tests/helpers/identity'
import { spawnParley } from '#tests/helpers/processes'
import { waitFor } from '#tests/helpers/wait_for'
import WorkerProbeJob, { probeKeys } from '#tests/fixtures/jobs/worker_probe_job'
import WorkerTimeoutJob from '#tests/fixtures/jobs/worker_timeout_job'
import { emptyQueue } from '#tests/helpers/queues'

/**
 * The queues these tests use, emptied (jobs, schedulers, metrics) around
 * each test so a spawned worker only sees that test's jobs.
 */
const QUEUES = ['low', 'default', 'mail', 'high'] as const
async function emptyQueues() {
  for (const name of QUEUES) await emptyQueue(name)
}

const count = async (key: string) => Number((await redis.get(key)) ?? 0)

async function finalState(queueName: string, jobId: string, timeoutMs = 20_000) {
  return waitFor(async () => {
    const state = await queueManager.getOrSet(queueName).getJobState(jobId)
    return state === 'completed' || state === 'failed' ? state : null
  }, timeoutMs)
}

/**
 * `node ace queue:listen` with short locks (a killed worker's job is
 * recovered within seconds) and quick heartbeats.
 */
async function startWorker(queueFlags: string[], extraEnv: Record<string, string> = {}) {
  const worker = spawnParley(
    ['ace', 'queue:listen', ...queueFlags.map((flag) => `--queue=${flag}`)],
    { QUEUE_LOCK_DURATION_MS: '1500', QUEUE_HEARTBEAT_MS: '500', ...extraEnv }
  )
  await waitFor(() => worker.output().includes('Listening on queue(s)'), 30_000, 100)
  return worker
}

async function heartbeats(): Promise<WorkerHeartbeat[]> {
  const ids = await redis.zrange(queueKeys.workers(), 0, -1)
  if (ids.length === 0) return []
  const records = await redis.mget(ids.map((id) => queueKeys.worker(id)))
  return records.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw))
}

async function heartbeatOf(pid: number) {
  return (await heartbeats()).find((heartbeat) => heartbeat.pid === pid) ?? null
}

/**
 * A per-organization counter of the monitor over the last few minutes.
 */
async function finishedCount(field: string) {
  const minute = Math.floor(Date.now() / 60_000)
  let total = 0
  for (const at of [minute - 2, minute - 1, minute]) {
    total += Number((await redis.hget(queueKeys.organizationMinute(at), field)) ?? 0)
  }
  return total
}

test.group('Queue worker: processes, timeouts and heartbeats', (group) => {
  group.setup(async () => {
    await emptyQueues()
    return () => emptyQueues()
  })
  group.each.setup(() => emptyQueues())

  test('SIGTERM during a long job lets it finish; the worker exits 0 and its heartbeat goes', async ({
    assert,
    cleanup,
  }) => {
    const worker = await startWorker(['low'])
    cleanup(() => worker.stop())
    const key = randomUUID()
    const keys = probeKeys(key)
    const job = await QueueService.dispatch(WorkerProbeJob, { key, ms: 2000 })
    await waitFor(async () => (await count(keys.starts)) === 1, 15_000)
    const heartbeat = (await heartbeatOf(worker.child.pid!))!
    assert.exists(heartbeat)

    worker.child.kill('SIGTERM')
    const exitCode = await worker.exited

    assert.equal(exitCode, 0, worker.output())
    assert.equal(await queueManager.getOrSet('low').getJobState(job.id!), 'completed')
    assert.equal(await count(keys.starts), 1)
    assert.equal(await count(keys.finishes), 1)
    assert.isNull(await redis.get(queueKeys.worker(heartbeat.id)))
    assert.isNull(await redis.zscore(queueKeys.workers(), heartbeat.id))
  }).timeout(60_000)

  test('SIGKILL during a long job: another worker re-runs it once (stalled recovery) and it completes once', async ({
    assert,
    cleanup,
  }) => {
    const first = await startWorker(['low'])
    cleanup(() => first.stop())
    const key = randomUUID()
    const keys = probeKeys(key)
    const job = await QueueService.dispatch(WorkerProbeJob, { key, ms: 3000 })
    await waitFor(async () => (await count(keys.starts)) === 1, 15_000)

    await first.stop()
    assert.equal(first.child.signalCode, 'SIGKILL')
    const second = await startWorker(['low'])
    cleanup(() => second.stop())

    assert.equal(await finalState('low', job.id!, 30_000), 'completed')
    // Longer than a lock: a second recovery would have started by now.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    assert.equal(await count(keys.starts), 2)
    assert.equal(await count(keys.finishes), 1)
    assert.equal(await queueManager.getOrSet('low').getJobState(job.id!), 'completed')
  }).timeout(90_000)

  test('a job over its timeout fails, is retried per config, stays failed with the error, and succeeds when retried', async ({
    assert,
    cleanup,
  }) => {
    const pool = new WorkerPool().start(['default'])
    cleanup(() => pool.close())
    const key = randomUUID()
    const keys = probeKeys(key)
    const failedBefore = await finishedCount('0:default:failed')

    const job = await QueueService.dispatch(WorkerTimeoutJob, { key, ms: 10_000 })
    assert.equal(await finalState('default', job.id!), 'failed')

    const queue = queueManager.getOrSet('default')
    const failed = (await queue.getJob(job.id!))!
    const attempts = app.config.get<number>('queue.jobs.attempts')
    assert.equal(failed.attemptsMade, attempts)
    assert.equal(failed.failedReason, 'Job timed out after 500 ms')
    assert.equal(await count(keys.starts), attempts)
    // The job honoured its abort signal: no attempt went on to finish.
    assert.equal(await count(keys.finishes), 0)
    // Counts are written once a second by the worker.
    await waitFor(
      async () => (await finishedCount('0:default:failed')) === failedBefore + attempts,
      5000
    )

    // What the monitor's retry does, once the job is fast again.
    await redis.set(keys.fast, '1', 'EX', 300)
    await failed.retry('failed')
    assert.equal(await finalState('default', job.id!), 'completed')
    assert.equal(await count(keys.starts), attempts + 1)
    assert.equal(await count(keys.finishes), 1)
    // Workers record metrics: the monitor's jobs per minute.
    const [completedMetrics, failedMetrics] = await Promise.all([
      queue.getMetrics('completed'),
      queue.getMetrics('failed'),
    ])
    assert.isAtLeast(completedMetrics.meta.count, 1)
    assert.isAtLeast(failedMetrics.meta.count, 1)
  }).timeout(60_000)

  test('a running worker shows its queues, concurrency and current job in its heartbeat', async ({
    assert,
    cleanup,
  }) => {
    const worker = await startWorker(['low,mail'])
    cleanup(() => worker.stop())
    const pid = worker.child.pid!
    const key = randomUUID()
    const job = await QueueService.dispatch(
      WorkerProbeJob,
      { key, ms: 3000 },
      { organizationId: 424242 }
    )

    const heartbeat = await waitFor(async () => {
      const current = await heartbeatOf(pid)
      return current?.active.some((active) => active.id === job.id) ? current : null
    }, 20_000)

    assert.deepEqual(heartbeat.queues, ['low', 'mail'])
    assert.deepEqual(heartbeat.concurrency, { low: 2, mail: 5 })
    const active = heartbeat.active.find((entry) => entry.id === job.id)!
    assert.equal(active.queue, 'low')
    assert.equal(active.name, 'WorkerProbeJob')
    assert.isTrue(DateTime.fromISO(active.started_at).isValid)
    assert.match(heartbeat.id, new RegExp(`:${pid}:[0-9a-f]+$`))
    assert.isAbove(heartbeat.rss_bytes, 0)
    assert.isAbove(heartbeat.heap_used_bytes, 0)
    assert.isAbove(Number(await redis.zscore(queueKeys.workers(), heartbeat.id)), Date.now() - 5000)
    const ttl = await redis.pttl(queueKeys.worker(heartbeat.id))
    assert.isAbove(ttl, 0)
    assert.isAtMost(ttl, 1500)

    // Once the job is done it leaves the heartbeat and counts for its organization.
    assert.equal(await finalState('low', job.id!), 'completed')
    await waitFor(async () => (await heartbeatOf(pid))?.active.length === 0, 10_000)
    await waitFor(async () => (await finishedCount('424242:low:completed')) === 1, 5000)
  }).timeout(60_000)
})

test.group('Queue worker: scheduled jobs', (group) => {
  group.setup(async () => {
    await emptyQueues()
    return () => emptyQueues()
  })
  group.each.setup(() => emptyQueues())

  test('queue:listen registers the scheduled jobs of its queues and drops retired ones', async ({
    assert,
    cleanup,
  }) => {
    await redis.del(queueKeys.healthSnapshot())
    await queueManager
      .getOrSet('low')
      .upsertJobScheduler('RetiredJob', { every: 3_600_000, startDate: Date.now() + 3_600_000 })

    const worker = await startWorker(['low', 'default'], { HEALTH_SNAPSHOT_EVERY_MS: '1000' })
    cleanup(() => worker.stop())

    const schedulers = async (name: string) => {
      const list = await queueManager.getOrSet(name).getJobSchedulers(0, -1)
      return Object.fromEntries(list.map((scheduler) => [scheduler.key, scheduler.every]))
    }
    assert.deepEqual(await schedulers('low'), {
      PruneAuditLogs: 24 * 3_600_000,
      TrimOldData: 3_600_000,
    })
    assert.deepEqual(await schedulers('default'), {
      SweepChatMessages: app.config.get<number>('chat.sweepEveryMs'),
      RecordHealthSnapshot: 1000,
    })
    assert.deepEqual(await schedulers('mail'), {})
    assert.include(worker.output(), 'Removed schedules no longer defined on low: RetiredJob')

    // They run on the worker, for no organization.
    const snapshot: HealthSnapshot = JSON.parse(
      await waitFor(() => redis.get(queueKeys.healthSnapshot()), 20_000)
    )
    assert.oneOf(snapshot.status, ['ok', 'degraded', 'down'])
    assert.includeMembers(
      snapshot.checks.map((check) => check.name),
      ['database', 'redis', 'queue']
    )
    assert.equal(snapshot.checks.find((check) => check.name === 'redis')!.status, 'ok')
    assert.notProperty(snapshot.checks[0], 'meta')
    assert.isAbove(await redis.ttl(queueKeys.healthSnapshot()), 500)

    const completed = await waitFor(async () => {
      const jobs = await queueManager.getOrSet('low').getCompleted()
      const names = new Set(jobs.map((job) => job.name))
      return names.has('PruneAuditLogs') && names.has('TrimOldData') ? jobs : null
    }, 20_000)
    for (const job of completed) assert.isNull(job.data.context.organization_id)
  }).timeout(60_000)
})

/**
 * Inserts rows and gives their ids in order, found by a unique column
 * (SQLite's RETURNING answers only one row of a multi-row insert).
 */
async function insertAll(table: string, key: string, rows: Record<string, unknown>[]) {
  await db.table(table).multiInsert(rows)
  const found = await db
    .from(table)
    .whereIn(
      key,
      rows.map((row) => row[key] as string)
    )
    .select('id', key)
  return rows.map((row) => ({ id: Number(found.find((entry) => entry[key] === row[key])!.id) }))
}

test.group('Queue worker: scheduled job behaviour', (group) => {
  let pool: WorkerPool
  group.setup(async () => {
    await emptyQueues()
    pool = new WorkerPool().start(['low', 'default'])
    return async () => {
      await pool.close()
      await emptyQueues()
    }
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('PruneAuditLogs deletes only entries older than AUDIT_RETENTION_DAYS', async ({
    assert,
  }) => {
    const retentionDays = env.get('AUDIT_RETENTION_DAYS', 365)
    const [recent, justInside, expired] = await TenantContext.asPlatform(async () => [
      await AuditLogFactory.create(),
      await AuditLogFactory.merge({
        createdAt: DateTime.utc().minus({ days: retentionDays - 1 }),
      }).create(),
      await AuditLogFactory.merge({
        createdAt: DateTime.utc().minus({ days: retentionDays + 1 }),
      }).create(),
    ])

    const job = await QueueService.dispatch(PruneAuditLogs, {})
    assert.equal(await finalState('low', job.id!), 'completed')

    const left = await auditQuery().whereIn('id', [recent.id, justInside.id, expired.id])
    assert.sameMembers(
      left.map((row) => row.id),
      [recent.id, justInside.id]
    )
  }).timeout(30_000)

  test('TrimOldData deletes only what is expired, used or left over, and finished jobs past their retention', async ({
    assert,
  }) => {
    const now = DateTime.utc()
    const at = (shift: Record<string, number>) => sqlTime(now.plus(shift))
    const { organization, owner } = await createOrganization()

    // Mailed secrets: expired or used more than a day ago go.
    const userToken = (name: string, expires: string, used: string | null) => ({
      user_id: owner.id,
      purpose: 'password_reset',
      token_hash: `${name}-${randomUUID()}`,
      expires_at: expires,
      used_at: used,
      created_at: at({ days: -3 }),
    })
    const userTokens = await insertAll('user_tokens', 'token_hash', [
      userToken('expired', at({ days: -2 }), null),
      userToken('used', at({ days: 5 }), at({ days: -2 })),
      userToken('just-expired', at({ hours: -2 }), null),
      userToken('valid', at({ hours: 1 }), null),
    ])

    // API tokens: expired more than 30 days ago go.
    for (let index = 0; index < 3; index++) await tokenFor(owner, organization)
    const accessTokens = await db
      .from('access_tokens')
      .where('user_id', owner.id)
      .orderBy('id')
      .select('id')
    await db
      .from('access_tokens')
      .where('id', accessTokens[0].id)
      .update({ expires_at: at({ days: -31 }) })
    await db
      .from('access_tokens')
      .where('id', accessTokens[1].id)
      .update({ expires_at: at({ days: -10 }) })
    await db.from('access_tokens').where('id', accessTokens[2].id).update({ expires_at: null })

    // Remember-me tokens: expired more than a day ago go.
    const rememberMe = await insertAll('remember_me_tokens', 'hash', [
      {
        tokenable_id: owner.id,
        hash: `old-${randomUUID()}`,
        created_at: at({ days: -40 }),
        updated_at: at({ days: -40 }),
        expires_at: at({ days: -10 }),
      },
      {
        tokenable_id: owner.id,
        hash: `live-${randomUUID()}`,
        created_at: at({ days: -1 }),
        updated_at: at({ days: -1 }),
        expires_at: at({ days: 20 }),
      },
    ])

    // Completed jobs: one finished before the retention, one just now.
    const oldJob = await QueueService.dispatch(WorkerProbeJob, { key: randomUUID(), ms: 1 })
    const newJob = await QueueService.dispatch(WorkerProbeJob, { key: randomUUID(), ms: 1 })
    assert.equal(await finalState('low', oldJob.id!), 'completed')
    assert.equal(await finalState('low', newJob.id!), 'completed')
    const maxAgeMs = app.config.get<number>('queue.retention.completed.age') * 1000
    // The completed set is ordered by finishing time: backdate one entry.
    await redis.zadd(
      `${env.get('QUEUE_PREFIX', 'parley')}:low:completed`,
      'XX',
      Date.now() - maxAgeMs - 60_000,
      oldJob.id!
    )

    const job = await QueueService.dispatch(TrimOldData, {})
    assert.equal(await finalState('low', job.id!), 'completed')

    const ids = (rows: { id: number }[]) => rows.map((row) => Number(row.id))
    assert.sameMembers(
      ids(await db.from('user_tokens').whereIn('id', ids(userTokens)).select('id')),
      ids(userTokens.slice(2))
    )
    assert.sameMembers(
      ids(await db.from('access_tokens').whereIn('id', ids(accessTokens)).select('id')),
      ids(accessTokens.slice(1))
    )
    assert.sameMembers(
      ids(await db.from('remember_me_tokens').whereIn('id', ids(rememberMe)).select('id')),
      ids(rememberMe.slice(1))
    )
    const queue = queueManager.getOrSet('low')
    assert.isUndefined(await queue.getJob(oldJob.id!))
    assert.equal(await queue.getJobState(newJob.id!), 'completed')

    // Idempotent: a second run finds nothing more to delete.
    const again = await QueueService.dispatch(TrimOldData, {})
    assert.equal(await finalState('low', again.id!), 'completed')
    assert.lengthOf(await db.from('user_tokens').whereIn('id', ids(userTokens)), 2)
  }).timeout(30_000)

  test('RecordHealthSnapshot stores the public health report for the monitor', async ({
    assert,
  }) => {
    await redis.del(queueKeys.healthSnapshot())
    const job = await QueueService.dispatch(RecordHealthSnapshot, {})
    assert.equal(await finalState('default', job.id!), 'completed')

    const snapshot: HealthSnapshot = JSON.parse((await redis.get(queueKeys.healthSnapshot()))!)
    assert.equal(snapshot.status, 'ok')
    assert.sameMembers(
      snapshot.checks.map((check) => check.name),
      ['database', 'redis', 'queue', 'storage', 'disk', 'heap']
    )
    for (const check of snapshot.checks) {
      assert.sameMembers(Object.keys(check), ['name', 'status', 'message'])
    }
    assert.isTrue(Date.now() - Date.parse(snapshot.at) < 10_000)
    const ttl = await redis.ttl(queueKeys.healthSnapshot())
    assert.isAbove(ttl, 590)
    assert.isAtMost(ttl, 600)
  }).timeout(30_000)
})
